"""Drive the running kiosk like a resident: real pointer events through the X server (XTEST).

Used by the UI tests, the screenshot script and the latency bench. A `Pilot` lives on its own thread
inside the app's process: it reads widgets by hopping onto the Kivy thread (never touching them from
its own), and presses buttons by moving the X pointer and clicking, so every press goes through SDL2,
Kivy's single mouse provider, the debounce and the widget tree exactly as a finger would.

(xdotool 3.20160805 does not move the pointer on Xvfb here; this talks to libXtst directly.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class XTest:
    """Fake pointer input on the X display (the same path as a USB touchscreen's pointer events)."""

    def __init__(self) -> None:
        x11_name, xtst_name = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
        if not x11_name or not xtst_name:
            raise RuntimeError("libX11/libXtst not found (Debian: libx11-6 libxtst6)")
        self.x11 = ctypes.cdll.LoadLibrary(x11_name)
        self.xtst = ctypes.cdll.LoadLibrary(xtst_name)
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        disp = self.x11.XOpenDisplay(None)
        if not disp:
            raise RuntimeError("cannot open the X display (is DISPLAY set?)")
        self.d = ctypes.c_void_p(disp)
        self._lock = threading.Lock()

    def move(self, x: int, y: int) -> None:
        with self._lock:
            self.xtst.XTestFakeMotionEvent(self.d, -1, int(x), int(y), 0)
            self.x11.XSync(self.d, 0)

    def button(self, down: bool) -> None:
        with self._lock:
            self.xtst.XTestFakeButtonEvent(self.d, 1, 1 if down else 0, 0)
            self.x11.XSync(self.d, 0)

    def tap(self, x: int, y: int, hold: float = 0.05) -> float:
        """Press and release at screen (x, y). Returns the perf_counter time of the press."""
        self.move(x, y)
        time.sleep(0.02)
        t = time.perf_counter()
        self.button(True)
        time.sleep(hold)
        self.button(False)
        return t

    def key(self, keysym: int) -> None:
        """Press and release one key, e.g. 0xFF1B (Escape) or 0xFFBE (F1)."""
        with self._lock:
            code = self.x11.XKeysymToKeycode(self.d, ctypes.c_ulong(keysym))
            self.xtst.XTestFakeKeyEvent(self.d, code, 1, 0)
            self.x11.XSync(self.d, 0)
            self.xtst.XTestFakeKeyEvent(self.d, code, 0, 0)
            self.x11.XSync(self.d, 0)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.d)


class VirtualDisplay:
    """An Xvfb server of an exact size on a free display number (for tests, screenshots, the bench)."""

    def __init__(self, size: str = "1920x1080", first: int = 90):
        import subprocess
        from pathlib import Path

        self.size = size
        self.number = next(
            n
            for n in range(first, first + 200)
            if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists()
        )
        self.name = f":{self.number}"
        self.proc = subprocess.Popen(
            ["Xvfb", self.name, "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{self.number}").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb {self.name} did not start")
            time.sleep(0.05)

    def env(self, kivy_home: str, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a kiosk process on this display, with its own clean Kivy home."""
        import os

        env = dict(base if base is not None else os.environ)
        env.update(
            DISPLAY=self.name,
            KIVY_NO_ARGS="1",
            KIVY_NO_CONSOLELOG="1",
            KIVY_HOME=kivy_home,  # no user config.ini leaks in
            KIVY_WINDOW="sdl2",
        )
        return env

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def walk(widget: Any) -> Iterator[Any]:
    yield widget
    for child in list(widget.children):
        yield from walk(child)


class Pilot:
    def __init__(self, app: Any, *, window_left: int = 0, window_top: int = 0):
        self.app = app
        self.xt = XTest()
        self.left, self.top = window_left, window_top

    # ---- hopping onto the Kivy thread -----------------------------------------------------
    def ui(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        from kivy.clock import Clock

        done = threading.Event()
        box: dict[str, Any] = {}

        def run(_dt: float) -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc
            done.set()

        Clock.schedule_once(run)
        if not done.wait(timeout):
            raise TimeoutError("the Kivy thread did not answer")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def wait(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.ui(predicate)
            if last:
                return last
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or predicate} (last: {last!r})")

    # ---- reading the screen (call inside `ui`) -------------------------------------------------
    def _roots(self) -> list[Any]:
        from kivy.core.window import Window

        return list(Window.children)

    def _visible(self, w: Any) -> bool:
        node = w
        while node is not None and node is not node.parent:
            if getattr(node, "opacity", 1) == 0:
                return False
            node = node.parent
        return True

    def find(self, key: str | None = None, text: str | None = None) -> Any:
        """A visible, enabled widget with this `key`, or a button whose text contains `text`."""
        for root in self._roots():
            for w in walk(root):
                if key is not None and getattr(w, "key", None) != key:
                    continue
                if text is not None and text not in getattr(w, "text", ""):
                    continue
                if key is None and text is None:
                    continue
                if self._visible(w):
                    return w
        return None

    def texts(self) -> str:
        """All visible label texts on the screen, joined (markup included)."""
        out = []
        for root in self._roots():
            for w in walk(root):
                t = getattr(w, "text", None)
                if isinstance(t, str) and t and self._visible(w):
                    out.append(t)
        return "\n".join(out)

    def screen(self) -> str:
        return self.ui(lambda: self.app.sm.current)

    # ---- acting ----------------------------------------------------------------------------------
    def locate(
        self, key: str | None = None, text: str | None = None, timeout: float = 10.0
    ) -> tuple[int, int]:
        """Screen coordinates of the widget's centre, scrolling its ScrollView to it first."""

        def where() -> tuple[int, int] | None:
            from kivy.core.window import Window
            from kivy.uix.scrollview import ScrollView

            w = self.find(key, text)
            if w is None or w.disabled:
                return None
            node = w.parent
            while node is not None and node is not node.parent:
                if isinstance(node, ScrollView):
                    if node.do_scroll_y or node.do_scroll_x:
                        node.scroll_to(w, padding=20, animate=False)
                    break
                node = node.parent
            x, y = w.to_window(*w.center)
            return int(self.left + x), int(self.top + Window.height - y)

        self.wait(where, timeout, f"button key={key} text={text}")
        time.sleep(0.05)  # let a scroll settle before reading the position again
        pos = self.ui(where)
        assert pos is not None
        return pos

    HUMAN_GAP_S = 0.4
    """Between two deliberate taps: the kiosk swallows a second tap within 0.35 s (a double tap)."""
    _last_tap = 0.0

    def tap(self, key: str | None = None, text: str | None = None, timeout: float = 10.0) -> float:
        x, y = self.locate(key, text, timeout)
        return self.tap_xy(x, y)

    def tap_xy(self, x: int, y: int) -> float:
        wait = self._last_tap + self.HUMAN_GAP_S - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        t = self.xt.tap(x, y)
        self._last_tap = time.perf_counter()
        time.sleep(0.1)
        return t

    def double_tap_xy(self, x: int, y: int, gap: float = 0.12) -> None:
        """An unsteady finger: two taps in quick succession on the same spot."""
        self.xt.tap(x, y)
        time.sleep(gap)
        self.xt.tap(x, y)
        self._last_tap = time.perf_counter()

    def screenshot(self, path: str) -> str:
        """Save what is on screen now (two frames later, so the last change is drawn) as `path`."""
        import os

        from kivy.core.window import Window

        time.sleep(0.15)
        self.ui(lambda: None)
        time.sleep(0.1)
        stem, ext = os.path.splitext(path)
        saved = self.ui(lambda: Window.screenshot(name=f"{stem}-tmp{ext}"))
        os.replace(saved, path)
        return path


def sample_config(path: str | None = None, **printer: Any) -> Any:
    """The sample hall, with the simulated printer on a free port (and any printer overrides)."""
    from pathlib import Path

    from kiosk.config.loader import load_config

    root = Path(__file__).resolve().parents[2]
    config = load_config(path or root / "assets" / "hall.sample.yaml")
    settings = config.devices.printer.model_copy(update={"port": 0, **printer})
    devices = config.devices.model_copy(update={"printer": settings})
    return config.model_copy(update={"devices": devices})


def fixed_clock(local: str = "2026-11-25 10:00", tz: str = "Asia/Shanghai") -> Any:
    """A ManualClock at a local time (default: a Wednesday morning, the hall open)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from kiosk.engine.clock import ManualClock

    when = dt.datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(tz))
    return ManualClock(when)


def run_with_pilot(app: Any, script: Callable[[Pilot], None], *, ready_timeout: float = 40.0) -> list[str]:
    """Run the app; once it has drawn and loaded its data, run `script(pilot)` on a thread, then stop.

    Returns the tracebacks of whatever went wrong (empty when the script passed).
    """
    import traceback

    from kivy.clock import Clock

    errors: list[str] = []

    def runner() -> None:
        try:
            pilot = Pilot(app)
            pilot.wait(
                lambda: app.first_frame_at is not None and (app.ready or app.runtime is None),
                ready_timeout,
                "the kiosk to be ready",
            )
            time.sleep(0.3)
            script(pilot)
        except BaseException:
            errors.append(traceback.format_exc())
        finally:
            Clock.schedule_once(lambda _dt: app.stop())

    app.bind(on_start=lambda *_a: threading.Thread(target=runner, name="pilot", daemon=True).start())
    app.run()
    return errors
