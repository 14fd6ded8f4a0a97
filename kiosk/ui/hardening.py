"""Kiosk hardening: one touch provider, no cursor, no way out through Escape, the close button or F1.

`configure` must run before `kivy.core.window` is imported (Kivy reads its Config when the window is
made); `install` runs once the App has its window.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ESCAPE, F1 = 27, 282
BLOCKED_KEYS = {ESCAPE, F1}


def screen_size() -> tuple[int, int] | None:
    """The X screen's size, so the borderless window covers it even with no window manager."""
    name = ctypes.util.find_library("X11")
    if not name or not os.environ.get("DISPLAY"):
        return None
    try:
        x11 = ctypes.cdll.LoadLibrary(name)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        disp = x11.XOpenDisplay(None)
        if not disp:
            return None
        d = ctypes.c_void_p(disp)
        size = (x11.XDisplayWidth(d, 0), x11.XDisplayHeight(d, 0))
        x11.XCloseDisplay(d)
        return size
    except OSError:
        return None


def configure(*, windowed: bool = False, size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Set Kivy's Config for a kiosk. Returns the window size used."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    screen = screen_size()
    if size is None and windowed and screen is not None:
        # A development window: the designed 1920×1080, but never bigger than the desktop.
        size = (min(screen[0], 1920), min(screen[1] - 60, 1080))
    width, height = size or screen or (1920, 1080)
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "window_icon", "")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "vsync", "1")
    # Input is read once per frame, and a release reaches the widgets a frame after SDL sees it:
    # 120 frames a second halve that wait (a frame with nothing to draw costs a fraction of a ms).
    Config.set("graphics", "maxfps", "120")
    if not windowed:
        # Without a window manager SDL's "fullscreen" leaves the X window at its default size and
        # place, so also ask for a borderless window at (0, 0) that is exactly the screen's size.
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
        Config.set("graphics", "show_cursor", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
        Config.set("graphics", "borderless", "0")
        Config.set("graphics", "position", "auto")
        Config.set("graphics", "show_cursor", "1")
    # Exactly one touch provider. A hall touchscreen reaches X as a pointer; probesysfs/mtdev/hidinput
    # would read the same panel again and every press would arrive twice. Right-click and ctrl-click
    # must not leave multitouch-emulation dots on the screen either.
    for option in Config.options("input"):
        Config.remove_option("input", option)
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("postproc", "double_tap_time", "250")
    Config.set("postproc", "triple_tap_time", "375")
    return width, height


def _swallow_keys(_window: Any, key: int, *_args: Any) -> bool:
    return key in BLOCKED_KEYS


def _refuse_close(*_args: Any, **_kwargs: Any) -> bool:
    log.info("window close refused (kiosk mode)")
    return True


def install(stop_app: Callable[[], None], *, windowed: bool = False) -> None:
    """Bind the window: Escape/F1 swallowed, close refused, SIGTERM (systemd stop) stops cleanly."""
    from kivy.clock import Clock
    from kivy.core.window import Window

    Window.bind(on_keyboard=_swallow_keys)
    if not windowed:
        Window.bind(on_request_close=_refuse_close)
        Window.show_cursor = False

    def on_term(_signum: int, _frame: Any) -> None:
        Clock.schedule_once(lambda _dt: stop_app())

    signal.signal(signal.SIGTERM, on_term)
