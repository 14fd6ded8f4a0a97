"""Shared widgets: the debounced kiosk button, labels and panels (rules in widgets.kv)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.ui import theme


class KioskButton(Button):
    """A button an unsteady finger can't fire twice.

    A press within `debounce_s` of this button's last accepted press, or within `GLOBAL_GAP_S` of any
    button's (the second tap of a double tap landing on the next screen's button), is swallowed.
    Only the primary button counts: a stray right/middle click or a scroll never presses anything.
    """

    GLOBAL_GAP_S = 0.35
    _last_any = 0.0

    key = StringProperty("")
    """Stable name for tests and automation (a service code, "staff", "back"…)."""
    debounce_s = NumericProperty(0.8)
    global_gap_s = NumericProperty(GLOBAL_GAP_S)
    """0 for keys meant to be pressed quickly in a row (the PIN pad)."""
    base_font = NumericProperty(32)
    """Font size at normal scale; 长者模式 multiplies it unless `scale_font` is False."""
    scale_font = BooleanProperty(True)
    press_feedback = BooleanProperty(True)
    """False for buttons whose answer is the next screen, shown within a frame or two: a colour
    change on press would cost a full redraw (tens of ms on a software renderer) right when the
    action needs the CPU."""
    held = BooleanProperty(False)
    """Keep the pressed look after release while the action runs: no redraw competes with it."""
    bg = ColorProperty(theme.PRIMARY)
    bg_down = ColorProperty(theme.PRIMARY_DOWN)
    _last = 0.0

    def on_touch_down(self, touch: Any) -> bool:
        if self.disabled or not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        if getattr(touch, "button", "left") != "left":
            return True
        now = time.monotonic()
        if now - self._last < self.debounce_s or now - KioskButton._last_any < self.global_gap_s:
            return True
        self._last = now
        KioskButton._last_any = now
        return super().on_touch_down(touch)

    def _do_press(self) -> None:
        if self.press_feedback:  # otherwise not even `state` changes: the style re-sets the image
            super()._do_press()

    def _do_release(self, *args: Any) -> None:
        if self.press_feedback:
            super()._do_release(*args)


class Caption(Label):
    """A wrapping label whose height follows its text."""

    base_size = NumericProperty(30)


class Panel(BoxLayout):
    """A white card with padding."""

    title = StringProperty("")


# Loaded here, before any screen's rules, so a screen's own rules win over these defaults.
Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
