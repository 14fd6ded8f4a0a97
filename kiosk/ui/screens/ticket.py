"""Ticket issued: the big number, the windows, people ahead and the wait; printing progress, then
"请取走号票". If the printer can't print, the number and its QR stay on screen with what to do."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.services import home_plan
from kiosk.services import ui_support as fmt
from kiosk.services.documents import ticket_qr_text
from kiosk.ui import fonts, theme
from kiosk.ui.bridge import AFTER_TEXTS_S, after_texts, background, when_done
from kiosk.ui.widgets import ShowIf  # noqa: F401  (used in the .kv rules)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

SHOW_PROGRESS_AFTER_S = 0.25
HOLD_DRAWING_S = 0.15
"""While a ticket commits and prints, repaints wait this long at most (see `DrawHold`)."""
BACK_AFTER_S = {"printed": 15, "fault": 60, "error": 20}
FAULT_ADVICE = (
    "您的号码已经登记，照样有效。请记住上面的号码，或用手机拍下二维码；"
    "叫号时以屏幕和广播为准。工作人员已收到提示，不必重复取号。"
)


def qr_rgb(payload: str, box: int = 10) -> tuple[int, int, bytes]:
    """The QR code as raw RGB bytes (made on a worker thread: Pillow and qrcode, no Kivy)."""
    import qrcode

    qr = qrcode.QRCode(border=2, box_size=box)
    qr.add_data(payload)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    return img.width, img.height, img.tobytes()


class TicketScreen(Screen):
    state = StringProperty("issuing")  # issuing | printed | fault | error
    number = StringProperty("")
    service_name = StringProperty("")
    priority_label = StringProperty("")
    windows = StringProperty("")
    ahead = StringProperty("")
    wait = StringProperty("")
    message = StringProperty("")
    print_status = StringProperty("")
    countdown = NumericProperty(0)
    progress = NumericProperty(0)
    qr_texture = ObjectProperty(None, allownone=True)
    busy = BooleanProperty(False)
    ticket_id = StringProperty("")
    colour = ColorProperty(theme.PRIMARY)
    """The service's category colour (home_plan), so the number matches the button pressed."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._tick = None
        self._progress_ev = None
        self._anim: Animation | None = None
        self.request_id = ""

    def prepare(self, service_code: str | None = None, priority: str | None = None, **_params: Any) -> None:
        """Via `app.go("ticket", service_code=…)`: issue and show the progress at once."""
        if service_code is not None and not self.busy:
            self.begin(service_code, priority, show_now=True)

    def begin(self, service_code: str, priority: str | None, *, show_now: bool = False) -> bool:
        """Issue a ticket. The request goes out before anything on screen changes; the screen
        switches when the outcome is back (typically in tens of milliseconds), or after
        `SHOW_PROGRESS_AFTER_S` with the printing progress if the printer is slow. Returns False if
        an issue is already under way (a second finger, a double tap)."""
        if self.busy:
            return False
        app = App.get_running_app()
        self.request_id = str(uuid.uuid4())  # one per visit: a double tap meets the same ticket
        self.busy = True
        self._service_code = service_code
        if not show_now:
            app.draw_hold.hold(HOLD_DRAWING_S)
        fut = app.runtime.issue_ticket(service_code, priority, self.request_id)
        when_done(fut, self.show_outcome, self._failed)
        # The screen's texts are re-rendered only when they are about to be seen (the progress, or
        # the outcome): rendering them now would take the CPU from the ticket being printed.
        if show_now:
            self._show_progress(0)
        else:
            self._progress_ev = Clock.schedule_once(self._show_progress, SHOW_PROGRESS_AFTER_S)
        return True

    def _reset(self) -> None:
        self.state = "issuing"
        self.number = ""
        self.ticket_id = ""
        config = App.get_running_app().config_hall
        self.service_name = fonts.with_fallback(config.service(self._service_code).name)
        self.colour = home_plan.rgba(home_plan.service_colour(config, self._service_code))
        self.priority_label = ""
        self.windows = ""
        self.ahead = ""
        self.wait = ""
        self.message = ""
        self.qr_texture = None
        self.print_status = "正在出票，请稍候…"
        self._stop_countdown()

    def _show_progress(self, _dt: float) -> None:
        self._progress_ev = None
        if self.busy:
            self._reset()
            self._animate_progress()
            self._enter()

    def _reveal(self) -> None:
        # Repaints were held while the ticket printed, and still are while the outcome's texts
        # render (see `after_texts`): the first frame drawn is the finished ticket screen.
        App.get_running_app().draw_hold.release()
        self._enter()

    def _enter(self) -> None:
        app = App.get_running_app()
        if app.sm.current != self.name:
            app.sm.current = self.name

    def _animate_progress(self) -> None:
        if self._anim is not None:
            self._anim.cancel(self)
        self.progress = 0
        # Eight steps a second: smooth enough for a bar that fills while paper feeds, and each step
        # is a whole-window repaint (on a software renderer, both cores for 15-20 ms).
        self._anim = Animation(progress=95, duration=2.5, t="out_quad", step=1 / 8)
        self._anim.start(self)

    def show_outcome(self, outcome: Any) -> None:
        if self._progress_ev is not None:
            self._progress_ev.cancel()
            self._progress_ev = None
        if self._anim is not None:
            self._anim.cancel(self)
        # Also when the progress is already on screen: the texts below render in the next frame,
        # the screen is repainted once they are done (see `_reveal`).
        App.get_running_app().draw_hold.hold(2 * AFTER_TEXTS_S)
        self._reset()
        self.busy = False
        self.progress = 100
        t = outcome.ticket
        if t is None:
            self.state = "error"
            self.message = outcome.message or "暂时不能取号，请到窗口咨询工作人员。"
            self.print_status = ""
            self._start_countdown()
            after_texts(self._reveal)
            return
        self.ticket_id = t.id
        self.number = t.number
        if App.get_running_app().theme.elder:
            App.get_running_app().spoken.say_ticket(t.number, list(t.windows))
        self.priority_label = f"绿色通道 · {t.priority_label}" if t.priority_label else ""
        self.windows = f"请到 {fmt.windows_text(t.windows)} 等候叫号"
        self.ahead = f"前面还有 {t.people_ahead} 人" if t.people_ahead else "前面没有人，请留意叫号"
        self.wait = (
            f"预计等候 {t.wait_min_minutes}–{t.wait_max_minutes} 分钟" if t.people_ahead else "马上为您办理"
        )
        if outcome.printed and not outcome.on_screen:
            App.get_running_app().refresh_preview(now=True)
            self.state = "printed"
            self.print_status = "请取走号票"
            self.message = outcome.message
        else:
            self.state = "fault"
            self.print_status = "打印机暂时不能出票"
            self.message = outcome.message or FAULT_ADVICE
            background(qr_rgb, ticket_qr_text(App.get_running_app().config_hall, t), then=self._show_qr)
        self._start_countdown()
        after_texts(self._reveal)

    def _show_qr(self, qr: tuple[int, int, bytes]) -> None:
        w, h, data = qr
        tex = Texture.create(size=(w, h), colorfmt="rgb")
        tex.blit_buffer(data, colorfmt="rgb", bufferfmt="ubyte")
        tex.flip_vertical()
        tex.mag_filter = "nearest"
        self.qr_texture = tex

    def _failed(self, exc: BaseException) -> None:
        if self._progress_ev is not None:
            self._progress_ev.cancel()
            self._progress_ev = None
        App.get_running_app().draw_hold.hold(2 * AFTER_TEXTS_S)
        self._reset()
        self.busy = False
        self.state = "error"
        self.message = "系统暂时不能取号，请到窗口咨询工作人员。"
        self.print_status = ""
        self._start_countdown()
        after_texts(self._reveal)

    # ---- back home after a while ------------------------------------------------------------
    def _start_countdown(self) -> None:
        self._stop_countdown()
        self.countdown = BACK_AFTER_S[self.state]
        self._tick = Clock.schedule_interval(self._count, 1.0)

    def _stop_countdown(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def _count(self, _dt: float) -> None:
        self.countdown -= 1
        if self.countdown <= 0:
            self.done()

    def done(self) -> None:
        self._stop_countdown()
        if self.manager is not None and self.manager.current == self.name:
            App.get_running_app().go_home()

    def on_leave(self, *_args: Any) -> None:
        self._stop_countdown()
