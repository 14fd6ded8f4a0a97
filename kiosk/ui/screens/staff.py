"""Staff screen (behind the PIN): device health, today's figures, reprint, a software caller for each
window (the same engine operations as a keypad), 签到/签退 at the windows (sign_in_sheet), the 日结 slip
and closing the day."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.engine.notices import NoticeKind
from kiosk.services import ui_support as fmt
from kiosk.ui.bridge import background, when_done
from kiosk.ui.screens.sign_in_sheet import SignInSheet  # noqa: F401  (used in the .kv rules)
from kiosk.ui.screens.window_sheet import WindowSheet  # noqa: F401  (used in the .kv rules)
from kiosk.ui.widgets import ClipScrollView, ShowIf  # noqa: F401  (used in the .kv rules)
from sync.contract.enums import WindowStatus

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
log = logging.getLogger(__name__)

CALLER_OPS = (
    ("call_next", "叫号"),
    ("recall", "重呼"),
    ("no_show", "过号"),
    ("finish", "办结"),
    ("pause", "暂停"),
    ("resume", "恢复"),
)
#: Notices after which the figures, the board or the last ticket may read differently.
REFRESH_ON = frozenset(
    {
        NoticeKind.CALLED,
        NoticeKind.FINISHED,
        NoticeKind.NO_SHOW,
        NoticeKind.PAUSED,
        NoticeKind.RESUMED,
        NoticeKind.RATING,
        NoticeKind.ISSUED,
        NoticeKind.SIGNED_IN,
        NoticeKind.SIGNED_OUT,
    }
)
OP_DONE = {
    "call_next": "已叫号",
    "recall": "已重呼",
    "no_show": "已记过号",
    "finish": "已办结",
    "pause": "已暂停",
    "resume": "已恢复",
}


class CallerRow(BoxLayout):
    window = StringProperty("")
    label = StringProperty("")
    status = StringProperty("")
    staff = StringProperty("")
    """Name of whoever is signed in at this window, or empty."""


class StaffScreen(Screen):
    health_text = StringProperty("")
    figures_text = StringProperty("")
    status = StringProperty("")
    failures = ListProperty([])
    rows = DictProperty({})
    confirm_close = BooleanProperty(False)
    last_ticket = StringProperty("")
    last_ticket_id = StringProperty("")
    busy = BooleanProperty(False)
    voice_text = StringProperty("")
    sheet_shown = BooleanProperty(False)
    signin_shown = BooleanProperty(False)

    def prepare(self, **_params: Any) -> None:
        self.status = ""
        self.sheet_shown = False
        self.signin_shown = False
        self.confirm_close = False
        self._build_caller()
        self.voice_text = self._voice_line()
        app = App.get_running_app()
        if app.health is not None:
            self.show_health(app.health)
        self.refresh()

    def refresh(self) -> None:
        rt = App.get_running_app().runtime
        background(rt.today_figures, then=self._show_figures, failed=self._read_failed)
        background(fmt.window_board, rt.engine, then=self._show_board, failed=self._read_failed)
        background(rt.engine.on_duty, then=self._show_on_duty, failed=self._read_failed)

    def _read_failed(self, exc: BaseException) -> None:
        self.status = f"读取失败：{exc}"

    # ---- health ------------------------------------------------------------------------------
    def show_health(self, h: Any) -> None:
        # Devices and sync stamp their times with the wall clock, not the hall's (demo) clock.
        now = dt.datetime.now(dt.UTC)
        lines = fmt.health_lines(h, now)
        lines.extend(fmt.board_lines(getattr(h, "boards", None), now))
        self.health_text = "\n".join(lines)
        self.failures = [(tid, number, err or "") for tid, number, err in h.print_failures][-4:]

    # ---- today -------------------------------------------------------------------------------
    def _show_figures(self, summary: Any) -> None:
        f = summary.hall
        self.figures_text = "\n".join(
            [
                f"取号 {f.issued}　叫号 {f.called}　办结 {f.finished}　过号 {f.no_show}",
                f"评价 {f.rated}　满意 {f.satisfied}　不满意 {f.dissatisfied}　未评价 {f.unrated}",
                f"评价率 {fmt.percent(f.evaluation_rate)}　满意率 {fmt.percent(f.satisfaction_rate)}",
                f"平均等候 {round(f.wait_mean_s / 60) if f.wait_mean_s else '—'} 分钟　"
                f"打印失败 {f.print_failures}　承诺件 {f.promised}",
            ]
        )

    # ---- software caller -----------------------------------------------------------------------
    def _build_caller(self) -> None:
        box = self.ids.caller
        if box.children:
            return
        for w in App.get_running_app().config_hall.windows:
            row = CallerRow(window=str(w.number), label=f"{w.number} 号窗口")
            box.add_widget(row)
            self.rows[str(w.number)] = row

    def _show_board(self, board: list[Any]) -> None:
        for r in board:
            row = self.rows.get(str(r.number))
            if row is not None:
                if r.status == WindowStatus.PAUSED:
                    row.status = fmt.WINDOW_STATUS[r.status]
                elif r.current:
                    row.status = f"当前 {r.current}"
                else:
                    row.status = fmt.WINDOW_STATUS.get(r.status, r.status)

    def _show_on_duty(self, duty: dict[int, tuple[str, str]]) -> None:
        for number, row in self.rows.items():
            row.staff = duty[int(number)][1] if int(number) in duty else ""

    def open_signin(self) -> None:
        self.ids.signin.load()
        self.signin_shown = True

    def close_signin(self) -> None:
        self.signin_shown = False
        self.refresh()

    def open_sheet(self, window: str) -> None:
        """More for one window than its keys: other outcomes, 挂起, 指定叫号 (see window_sheet)."""
        self.ids.sheet.load(window)
        self.sheet_shown = True

    def close_sheet(self) -> None:
        self.sheet_shown = False
        self.refresh()

    def set_status(self, text: str) -> None:
        self.status = text

    def on_leave(self, *_args: Any) -> None:
        self.sheet_shown = False
        self.signin_shown = False

    def window_op(self, name: str, window: str) -> None:
        rt = App.get_running_app().runtime
        self.status = "…"
        fut = rt.window_op(name, int(window))
        when_done(
            fut,
            lambda result: self._op_done(name, window, result),
            lambda exc: self._op_failed(name, window, exc),
        )

    def _op_done(self, name: str, window: str, result: Any) -> None:
        number = getattr(result, "number", "")
        self.status = f"{window} 号窗口{OP_DONE.get(name, name)}" + (f"：{number}" if number else "")
        self.refresh()

    def _op_failed(self, name: str, window: str, exc: BaseException) -> None:
        message = getattr(exc, "message", None) or str(exc)
        self.status = f"{window} 号窗口：{message}"
        self.refresh()

    def on_notice(self, notice: Any) -> None:
        if notice.kind == NoticeKind.ISSUED and notice.ticket_id:
            self.last_ticket, self.last_ticket_id = notice.number or "", notice.ticket_id
        if notice.kind in REFRESH_ON:
            self.refresh()

    # ---- voice ---------------------------------------------------------------------------------
    def toggle_silent(self) -> None:
        voice = App.get_running_app().voice
        voice.silent = not voice.silent
        self.voice_text = self._voice_line()

    def change_volume(self, step: float) -> None:
        voice = App.get_running_app().voice
        voice.volume = round(min(1.0, max(0.1, voice.volume + step)), 1)
        self.voice_text = self._voice_line()

    def _voice_line(self) -> str:
        voice = App.get_running_app().voice
        if not voice.available:
            return "叫号语音：没有可用的声卡，只在屏幕上显示"
        return "叫号语音：" + ("静音" if voice.silent else f"开，音量 {int(voice.volume * 100)}%")

    # ---- reprint, day slip, close -------------------------------------------------------------
    def reprint(self, ticket_id: str, number: str) -> None:
        rt = App.get_running_app().runtime
        self.status = f"正在补打 {number}…"
        when_done(
            rt.reprint(ticket_id),
            lambda o: setattr(self, "status", f"已补打 {number}" if o.printed else f"补打失败：{o.message}"),
            lambda e: setattr(self, "status", f"补打失败：{e}"),
        )

    def print_day_slip(self) -> None:
        rt = App.get_running_app().runtime
        self.status = "正在打印日结单…"
        when_done(
            rt.print_day_slip(),
            lambda r: setattr(self, "status", "日结单已打印" if r.ok else "日结单打印失败"),
            lambda e: setattr(self, "status", f"日结单打印失败：{e}"),
        )

    def _closed(self, removed: int) -> None:
        self.status = f"已日结，{removed} 个未办理的号作废"
        self.refresh()

    def close_day(self) -> None:
        if not self.confirm_close:
            self.confirm_close = True
            self.status = "日结后今天不能再取号，未叫到的号作废。确认请再按一次「确认日结」。"
            return
        self.confirm_close = False
        rt = App.get_running_app().runtime
        self.status = "正在日结…"
        when_done(
            rt.close_day(),
            self._closed,
            lambda e: setattr(self, "status", f"日结失败：{getattr(e, 'message', e)}"),
        )
