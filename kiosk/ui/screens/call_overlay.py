"""The full-screen call: "请 A012 号 到 3 号窗口". Calls wait in a queue so they never overlap or
overwrite each other; each stays up while its announcement plays (and at least `MIN_SHOW_S`)."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui.bridge import after_texts
from kiosk.ui.widgets import ShowIf  # noqa: F401  (used in the .kv rules)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

MIN_SHOW_S = 4.0
AFTER_VOICE_S = 1.2
QUIET_S = 15.0
"""Full screen only for a call after a quiet spell; calls closer together than this come as banners."""
IN_USE_S = 12.0
"""A touch this recent means someone is using the kiosk: calls show as a banner, not full screen."""
RESTING = ("home", "closed", "out_of_service")


class CallOverlay(FloatLayout):
    showing = BooleanProperty(False)
    number = StringProperty("")
    window = NumericProperty(0)
    recall = BooleanProperty(False)
    pending = NumericProperty(0)
    compact = BooleanProperty(False)
    """A banner across the top instead of the full screen: a resident is in the middle of something."""
    shown_count = NumericProperty(0)
    """Calls shown so far (tests wait on it)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._queue: deque[tuple[str, int, bool]] = deque()
        self._hide_ev = None
        self._quiet_since = -1e9
        self.history: list[tuple[str, int, bool]] = []

    def enqueue(self, number: str, window: int, recall: bool = False) -> None:
        # A window's new call supersedes its call still waiting to be shown: that resident has been
        # served or passed over already. So the queue never holds more calls than there are windows.
        self._queue = deque(c for c in self._queue if c[1] != window)
        self._queue.append((number, window, recall))
        self.pending = len(self._queue)
        if not self.showing:
            self._next()

    def _next(self, *_args: Any) -> None:
        if not self._queue:
            self.showing = False
            self._quiet_since = time.monotonic()
            self._detach()
            return
        number, window, recall = self._queue.popleft()
        self.pending = len(self._queue)
        self.number, self.window, self.recall = number, window, recall
        app = App.get_running_app()
        # A banner, not the full screen, while someone is using the kiosk, and during a burst of calls
        # (the full screen would hold the kiosk for the whole burst).
        busy = app.idle_seconds() < IN_USE_S or app.sm.current not in RESTING
        burst = len(self._queue) >= 1 or time.monotonic() - self._quiet_since < QUIET_S
        # With a call board on the wall, the entrance kiosk only ever shows the banner (if so configured):
        # the resident taking a number is not interrupted by calls meant for the waiting area.
        self.compact = busy or burst or app.calls_as_banner
        self.showing = True
        after_texts(self._attach)
        self.shown_count += 1
        self.history.append((number, window, recall))
        # Hold the overlay at least MIN_SHOW_S; the voice extends it once it knows the clip length.
        self._schedule_hide(MIN_SHOW_S)
        App.get_running_app().voice.say(number, window, recall, on_ready=self._voice_started)

    def _voice_started(self, seconds: float) -> None:
        if self.showing:
            self._schedule_hide(max(MIN_SHOW_S, seconds + AFTER_VOICE_S))

    def _schedule_hide(self, after: float) -> None:
        if self._hide_ev is not None:
            self._hide_ev.cancel()
        self._hide_ev = Clock.schedule_once(self._next, after)

    # Hidden, the overlay leaves the widget tree: a transparent full-screen quad still costs a
    # full-screen blend every frame on a software renderer.
    def attach_to(self, parent: Any) -> None:
        self._host = parent

    def _attach(self) -> None:
        host = getattr(self, "_host", None)
        if host is not None and self.parent is None and self.showing:  # not if hidden meanwhile
            host.add_widget(self)
        self._cover()

    def _detach(self) -> None:
        if self.parent is not None:
            self.parent.remove_widget(self)
        self._cover()

    def on_compact(self, *_args: Any) -> None:
        self._cover()

    def _cover(self) -> None:
        """Full screen, the call hides the screens beneath it, so they leave the tree until it
        shrinks or ends: drawing a whole screen only to cover it made these the slowest frames of
        all on a software renderer. A banner leaves them in place."""
        host = getattr(self, "_host", None)
        sm = getattr(App.get_running_app(), "sm", None)
        if host is None or sm is None:
            return
        covering = self.showing and not self.compact and self.parent is host
        if covering and sm.parent is host:
            host.remove_widget(sm)
        elif not covering and sm.parent is None:
            host.add_widget(sm, index=len(host.children))  # beneath the overlay

    # Full screen, a call owns the screen: a touch must not press a button hidden underneath; it
    # shrinks the call to a banner so the resident can go on. As a banner, only its own area counts.
    def on_touch_down(self, touch: Any) -> bool:
        if not self.showing:
            return False
        if self.compact:
            return self.collide_point(*touch.pos)
        self.compact = True
        touch.ud["swallowed_by_call"] = True
        return True

    def on_touch_move(self, touch: Any) -> bool:
        return self.showing and (touch.ud.get("swallowed_by_call", False) or self.collide_point(*touch.pos))

    def on_touch_up(self, touch: Any) -> bool:
        return self.showing and (touch.ud.get("swallowed_by_call", False) or self.collide_point(*touch.pos))
