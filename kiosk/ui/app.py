"""`KioskApp`: the touch kiosk at the hall entrance.

The app owns no device: it asks the runtime (kiosk.services.runtime) for everything and gets the
answers back on the Kivy thread (kiosk.ui.bridge). Screens are one file each under screens/.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition

from kiosk.engine.notices import Notice, NoticeKind
from kiosk.services import ui_support as fmt
from kiosk.ui import fonts, hardening, partial_redraw, render_cost, theme
from kiosk.ui.bridge import background, on_ui
from kiosk.ui.screens.call_overlay import CallOverlay
from kiosk.ui.screens.closed import ClosedScreen
from kiosk.ui.screens.guide import GuideScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.out_of_service import OutOfServiceScreen
from kiosk.ui.screens.pin import PinScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.ticket import TicketScreen
from kiosk.ui.spoken_help import SpokenHelp
from kiosk.ui.theme import Theme
from kiosk.ui.voice import Voice
from kiosk.ui.widgets import KioskScreenManager

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

# Seconds without a touch before a screen gives up and goes back to the start.
IDLE_LIMITS = {"guide": 60, "pin": 30, "staff": 120, "ticket": 90}
ELDER_RESET_S = 90
RESTING = ("home", "closed", "out_of_service")


def preview_rgb(path: Path | None, height: int = 640) -> tuple[int, int, bytes] | None:
    """The printout PNG scaled for the screen, as RGB bytes (on a worker: Pillow, no Kivy)."""
    if path is None:
        return None
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        if img.height > height:
            img = img.resize((max(1, img.width * height // img.height), height))
        return img.width, img.height, img.tobytes()


class KioskRoot(FloatLayout):
    pass


class KioskApp(App):
    title = "社区便民服务中心"
    use_kivy_settings = False

    theme = ObjectProperty(None)
    hall_name = StringProperty("社区便民服务中心")
    hotline = StringProperty("")
    date_text = StringProperty("")
    clock_text = StringProperty("")
    recent_calls = ListProperty([])
    """[(number, window)] newest first, from the database and from live calls."""
    health = ObjectProperty(None, allownone=True)
    issuing = ObjectProperty(None, allownone=True)
    demo = BooleanProperty(False)
    preview_texture = ObjectProperty(None, allownone=True)
    """Demo: the last printout of the simulated printer, as paper would show it."""
    figures_line = StringProperty("")
    """Demo: today's counts, so a newcomer sees ratings being counted."""
    ready = BooleanProperty(False)
    """True once the first frame after start has been drawn and the home data has arrived."""

    def __init__(
        self,
        runtime: Any | None,
        *,
        config: Any | None = None,
        config_problems: list[str] | None = None,
        windowed: bool = False,
        portrait: bool = False,
        silent: bool = False,
        volume: float = 1.0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.runtime: Any = runtime
        self.config_hall = config if config is not None else getattr(runtime, "config", None)
        self.config_problems = list(config_problems or [])
        self.windowed = windowed
        self.theme = Theme(portrait=portrait)
        board = getattr(runtime, "board", None)
        self.calls_as_banner = board is not None and board.settings.kiosk_calls == "banner"
        """A call board is on: calls show on the kiosk only as its banner (board.kiosk_calls)."""
        # board.voice says which device speaks: the kiosk stays silent when only the board does.
        silent = silent or (board is not None and board.settings.voice == "board")
        self.voice = Voice(silent=silent, volume=volume)
        prompts = Path(runtime.data_dir) / "voice-prompts" if runtime is not None else HERE / "no-prompts"
        self.spoken = SpokenHelp(self.voice, prompts, self.config_hall if runtime is not None else None)
        self.draw_hold = render_cost.DrawHold()
        self.redraw = partial_redraw.PartialRedraw()
        partial_redraw.track_label_textures()  # before the screens' labels are made
        self._last_touch = -1e9  # nobody has touched it yet
        self._refresh_trigger = Clock.create_trigger(self._refresh_data, 0.3)
        self._preview_trigger = Clock.create_trigger(self._refresh_preview, 1.0)
        self.demo = bool(getattr(runtime, "demo", False))
        self.started_at = time.perf_counter()
        self.first_frame_at: float | None = None
        if self.config_hall is not None:
            self.hall_name = fonts.with_fallback(self.config_hall.name)  # 生僻字 in a fallback font
            self.hotline = self.config_hall.hotline

    # ---- building ---------------------------------------------------------------------------
    def build(self) -> KioskRoot:
        self.sm = KioskScreenManager(transition=NoTransition())
        for screen in (
            HomeScreen(name="home"),
            GuideScreen(name="guide"),
            TicketScreen(name="ticket"),
            ClosedScreen(name="closed"),
            OutOfServiceScreen(name="out_of_service"),
            PinScreen(name="pin"),
            StaffScreen(name="staff"),
        ):
            self.sm.add_widget(screen)
        self.overlay = CallOverlay()
        root = KioskRoot()
        root.add_widget(self.sm)
        self.overlay.attach_to(root)
        self.sm.current = "out_of_service" if self.runtime is None else "home"
        return root

    def open_settings(self, *_args: Any) -> bool:
        return False  # F1 and the settings panel do nothing on a kiosk

    def on_start(self) -> None:
        hardening.install(self.stop, windowed=self.windowed)
        render_cost.install(self.redraw)
        self.draw_hold.install()
        Window.clearcolor = theme.BG  # the background costs no full-screen quad of its own
        Window.bind(on_touch_down=self._poke)
        self.theme.portrait = Window.height > Window.width
        self._tick_clock(0)
        Clock.schedule_interval(self._tick_clock, 1.0)
        Clock.schedule_interval(self._check_idle, 1.0)
        Clock.schedule_once(self._first_frame, 0)
        if self.runtime is not None:
            self.spoken.start()  # 长者模式's prompts, made on a worker thread
            self.runtime.subscribe(self._notice_from_worker)
            Clock.schedule_interval(lambda _dt: self._check_state(), 2.0)
            Clock.schedule_interval(lambda _dt: self._refresh_trigger(), 15.0)
            self._check_state()
            self._refresh_data(0)
            self.refresh_preview()

    def _first_frame(self, _dt: float) -> None:
        if self.first_frame_at is None:
            self.first_frame_at = time.perf_counter()
            render_cost.freeze_startup_heap()  # the screens are built by now

    def on_stop(self) -> None:
        self.voice.stop()

    # ---- navigation -------------------------------------------------------------------------
    def screen(self, name: str) -> Any:
        return self.sm.get_screen(name)

    def go(self, name: str, **params: Any) -> None:
        screen = self.sm.get_screen(name)
        if hasattr(screen, "prepare"):
            screen.prepare(**params)
        self.sm.current = name

    def resting_screen(self) -> str:
        if self.runtime is None or self.config_problems:
            return "out_of_service"
        if self.health is not None and self.health.out_of_service_reason:
            return "out_of_service"
        if self.issuing is not None and not self.issuing.open:
            return "closed"
        return "home"

    def go_home(self, *_args: Any) -> None:
        self.go(self.resting_screen())

    # ---- clock, idle ------------------------------------------------------------------------
    def now_local(self) -> dt.datetime:
        tz = ZoneInfo(self.config_hall.timezone) if self.config_hall else ZoneInfo("Asia/Shanghai")
        if self.runtime is not None:
            return self.runtime.engine.clock.now().astimezone(tz)
        return dt.datetime.now(tz)

    def _tick_clock(self, _dt: float) -> None:
        now = self.now_local()
        self.date_text = fmt.date_text(now)
        # Minutes only: a label that changes every second would redraw the whole screen every second
        # (the property does not fire when the text is unchanged).
        self.clock_text = f"{now:%H:%M}"

    def _poke(self, *_args: Any) -> None:
        self._last_touch = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last_touch

    def _check_idle(self, _dt: float) -> None:
        idle = self.idle_seconds()
        current = self.sm.current
        limit = IDLE_LIMITS.get(current)
        if limit is not None and idle > limit and not getattr(self.sm.current_screen, "busy", False):
            log.info("idle %.0f s on %s: back to start", idle, current)
            self.go_home()
        if idle > ELDER_RESET_S and current in RESTING:
            self.theme.elder = False
            self.screen("home").reset_modes()

    # ---- state from the runtime -------------------------------------------------------------
    def _check_state(self) -> None:
        rt = self.runtime
        background(
            lambda: (rt.health(), rt.issuing_state()), then=self._apply_state, failed=self._state_failed
        )

    def _state_failed(self, exc: BaseException) -> None:
        log.error("state check failed: %s", exc)

    def _apply_state(self, state: tuple[Any, Any]) -> None:
        was_open = self.issuing is not None and self.issuing.open
        self.health, self.issuing = state
        if self.issuing.open != was_open:
            self._refresh_trigger()  # the buttons' availability changes with the hours
        if self.sm.current in RESTING:
            want = self.resting_screen()
            if self.sm.current != want:
                self.go(want)
        if self.sm.current == "staff":
            self.screen("staff").show_health(self.health)

    def _notice_from_worker(self, notice: Notice) -> None:
        on_ui(self._on_notice, notice)  # runtime threads never touch widgets

    def _on_notice(self, notice: Notice) -> None:
        if notice.kind == NoticeKind.CALLED and notice.number and notice.window:
            self.overlay.enqueue(notice.number, notice.window, notice.recall)
            calls = [c for c in self.recent_calls if c[0] != notice.number]
            self.recent_calls = [(notice.number, notice.window), *calls][:8]
        self._refresh_trigger()
        if self.demo and notice.kind in (NoticeKind.ISSUED, NoticeKind.RATING, NoticeKind.FINISHED):
            self._preview_trigger()
        if self.sm.current == "staff":
            self.screen("staff").on_notice(notice)

    def _refresh_data(self, _dt: float) -> None:
        rt = self.runtime
        if rt is None:
            return

        def read() -> tuple[Any, Any]:
            return rt.overview(), rt.recent_calls(8)

        background(read, then=self._apply_data, failed=lambda e: log.error("overview failed: %s", e))

    def refresh_preview(self, now: bool = False) -> None:
        if not self.demo:
            return
        if now:
            self.preview_texture = None  # never show the previous ticket's paper for this one
            self._refresh_preview(0)
        else:
            self._preview_trigger()

    def _refresh_preview(self, _dt: float) -> None:
        rt = self.runtime

        def read() -> tuple[Any, Any]:
            return preview_rgb(rt.preview_png()), rt.today_figures()

        background(read, then=self._apply_preview, failed=lambda e: log.warning("preview: %s", e))

    def _apply_preview(self, data: tuple[Any, Any]) -> None:
        image, summary = data
        if image is not None:
            w, h, pixels = image
            tex = Texture.create(size=(w, h), colorfmt="rgb")
            tex.blit_buffer(pixels, colorfmt="rgb", bufferfmt="ubyte")
            tex.flip_vertical()
            self.preview_texture = tex
        f = summary.hall
        rate = fmt.percent(f.satisfaction_rate)
        self.figures_line = f"今日 取号 {f.issued} · 叫号 {f.called} · 评价 {f.rated} · 满意率 {rate}"

    def _apply_data(self, data: tuple[Any, Any]) -> None:
        overview, calls = data
        self.screen("home").show_overview(overview)
        self.recent_calls = [(number, window) for number, window, _at in calls]
        self.ready = True
