"""Shared widgets: the debounced kiosk button, labels and panels (rules in widgets.kv)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.graphics import (
    BindTexture,
    ScissorPop,
    ScissorPush,
    StencilPop,
    StencilPush,
    StencilUnUse,
    StencilUse,
)
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

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


class ScissorClip:
    """Clip a StencilView-style widget with the GL scissor instead of the stencil buffer.

    Kivy's ScrollView and ScreenManager clip their content through the stencil buffer: every frame
    they fill their whole area into it, test every pixel of their content against it, then fill the
    area again to clear it. On a software renderer (a kiosk PC without a working GPU driver, where
    Mesa's llvmpipe shades every pixel on the CPU) that is several milliseconds a frame for nothing:
    a kiosk only ever clips to an upright rectangle, which the scissor test does for free.

    The rectangle follows the widget's own position and size. It would go stale if an ancestor moved
    without the widget's `pos` changing (a sliding screen transition, a scroll view inside a scroll
    view); the kiosk uses neither, and a test checks that no stencil is left anywhere.
    """

    _STENCIL = (StencilPush, StencilUse, StencilUnUse, StencilPop)

    def __init__(self, widget: Any):
        for group in (widget.canvas.before, widget.canvas.after):
            marks = [i for i in group.children if isinstance(i, self._STENCIL)]
            if not marks:
                continue
            # The stencil's mask rectangles sit between its marks (a rectangle takes its texture
            # binding with it when removed).
            first, last = group.children.index(marks[0]), group.children.index(marks[-1])
            for instruction in list(group.children[first : last + 1]):
                if instruction in group.children and not isinstance(instruction, BindTexture):
                    group.remove(instruction)
        self._widget = widget
        self._push = ScissorPush(x=0, y=0, width=1, height=1)
        widget.canvas.before.insert(0, self._push)
        widget.canvas.after.insert(0, ScissorPop())
        widget.bind(pos=self.update, size=self.update, parent=self.update)

    def update(self, *_args: Any) -> None:
        # The scissor is in window coordinates; a Screen is a RelativeLayout, so convert.
        w = self._widget
        x, y = w.to_window(*w.pos)
        self._push.pos = (round(x), round(y))
        self._push.size = (round(w.width), round(w.height))


class ShowIf(Widget):
    """Holds one widget and keeps its place; the widget is in the tree only while `shown`.

    Hiding a widget with `opacity: 0` still draws every one of its pixels (transparently), which on
    a software renderer costs as much as showing it. This takes the widget out instead, so a hidden
    QR code or banner costs nothing, while the layout around it stays put.
    """

    shown = BooleanProperty(True)

    def __init__(self, **kwargs: Any):
        self.content: Widget | None = None
        super().__init__(**kwargs)
        self.bind(pos=self._follow, size=self._follow)

    def add_widget(self, widget: Widget, *args: Any, **kwargs: Any) -> None:
        if self.content is not None and widget is not self.content:
            raise ValueError("ShowIf holds exactly one widget")
        self.content = widget
        self._follow()
        if self.shown and widget.parent is None:
            super().add_widget(widget, *args, **kwargs)

    def on_shown(self, _instance: Any, shown: bool) -> None:
        if self.content is None:
            return
        if shown and self.content.parent is None:
            super().add_widget(self.content)
            self._follow()
        elif not shown and self.content.parent is self:
            super().remove_widget(self.content)

    def _follow(self, *_args: Any) -> None:
        if self.content is not None:
            self.content.pos = self.pos
            self.content.size = self.size


class ScissorClipped:
    """Mixin for a StencilView-style widget: its stencil becomes a `ScissorClip`."""

    def on_kv_post(self, base_widget: Any) -> None:
        # After every KV rule: a widget built from a rule gets its stencil from the rules only then.
        self._clip = getattr(self, "_clip", None) or ScissorClip(self)


class ClipScrollView(ScissorClipped, ScrollView):
    """A ScrollView clipped by the scissor (see `ScissorClip`)."""


class KioskScreenManager(ScissorClipped, ScreenManager):
    """A ScreenManager clipped by the scissor (see `ScissorClip`)."""


# Loaded here, before any screen's rules, so a screen's own rules win over these defaults.
Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
