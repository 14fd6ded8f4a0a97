"""The staff screen's 签到 sheet: who serves at each window (责任到人).

A staff member picks their window, types their 工号 and their own PIN on the sheet's digit pad and
signs in; from then on every call at that window records them. 签退 ends the shift. The PIN is checked
against the roster's hash by the engine on the runtime's worker (PBKDF2 is slow on purpose), and the
list of who is signed in is read off the Kivy thread too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import DictProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.engine.staffing import SignInRefused
from kiosk.services.pin_guard import SignInLocked
from kiosk.ui import theme
from kiosk.ui.bridge import background, when_done
from kiosk.ui.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

MAX_DIGITS = 12
REFUSED = "工号或密码不对，请重新输入"


class SignInSheet(FloatLayout):
    """Shown over the staff screen; `report(text)` goes to the staff screen's status."""

    window = StringProperty("")
    staff_id = StringProperty("")
    pin = StringProperty("")
    field = OptionProperty("staff_id", options=["staff_id", "pin"])
    message = StringProperty("")
    signed_in = DictProperty({})
    """Window number (as text) → name of whoever is signed in there."""
    here = StringProperty("")
    """Who is signed in at the chosen window (what 签退 would end), or empty."""
    report = ObjectProperty(None, allownone=True)
    close = ObjectProperty(None, allownone=True)

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        return True  # nothing beneath the sheet is pressed through it

    def on_touch_move(self, touch: Any) -> bool:
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        super().on_touch_up(touch)
        return True

    def on_window(self, *_args: Any) -> None:
        self.here = self.signed_in.get(self.window, "")

    def on_signed_in(self, *_args: Any) -> None:
        self.here = self.signed_in.get(self.window, "")

    # ---- data ----------------------------------------------------------------------------------
    def load(self) -> None:
        self.staff_id = self.pin = self.message = ""
        self.field = "staff_id"
        windows = App.get_running_app().config_hall.windows
        if not self.window and windows:
            self.window = str(windows[0].number)
        self._fill_windows()
        self.refresh()

    def refresh(self) -> None:
        rt = App.get_running_app().runtime
        background(rt.engine.on_duty, then=self._show_on_duty, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.message = f"读取失败：{exc}"

    def _show_on_duty(self, duty: dict[int, tuple[str, str]]) -> None:
        self.signed_in = {str(w): name for w, (_sid, name) in duty.items()}
        self._fill_windows()

    def _fill_windows(self) -> None:
        grid = self.ids.windows
        grid.clear_widgets()
        for w in App.get_running_app().config_hall.windows:
            number = str(w.number)
            grid.add_widget(
                KioskButton(
                    key=f"signin_window_{number}",
                    text=f"{number} 号窗口\n{self.signed_in.get(number, '未签到')}",
                    halign="center",
                    base_font=22,
                    scale_font=False,
                    debounce_s=0.3,
                    global_gap_s=0,
                    bg=theme.PRIMARY if number == self.window else theme.MUTED,
                    on_release=lambda _b, n=number: self.choose(n),
                )
            )

    # ---- input ---------------------------------------------------------------------------------
    def choose(self, window: str) -> None:
        self.window = window
        self.message = ""
        self._fill_windows()

    def press(self, digit: str) -> None:
        if len(getattr(self, self.field)) < MAX_DIGITS:
            setattr(self, self.field, getattr(self, self.field) + digit)

    def backspace(self) -> None:
        setattr(self, self.field, getattr(self, self.field)[:-1])

    # ---- actions -------------------------------------------------------------------------------
    def sign_in(self) -> None:
        if not self.window:
            self.message = "请先选择窗口"
            return
        if not self.staff_id or not self.pin:
            self.message = "请输入工号和本人密码"
            return
        window, staff_id, pin = self.window, self.staff_id, self.pin
        self.pin = ""  # the PIN leaves the screen at once, whatever the answer
        self.message = "正在核对…"
        fut = App.get_running_app().runtime.window_op("sign_in", int(window), staff_id, pin)
        when_done(fut, lambda name: self._signed_in(window, name), self._refused)

    def _signed_in(self, window: str, name: str) -> None:
        self.staff_id = ""
        self.field = "staff_id"
        self._say(f"{name} 已在 {window} 号窗口签到")
        self.refresh()

    def _refused(self, exc: BaseException) -> None:
        self.field = "pin"
        if isinstance(exc, SignInLocked):
            self._say(exc.message)  # how long the sign-in stays locked
        elif isinstance(exc, SignInRefused):
            self._say(REFUSED)
        else:
            self._say(f"签到失败：{getattr(exc, 'message', None) or exc}")

    def sign_out(self) -> None:
        window = self.window
        if window not in self.signed_in:
            self.message = f"{window} 号窗口没有人签到"
            return
        name = self.signed_in[window]
        fut = App.get_running_app().runtime.window_op("sign_out", int(window))
        when_done(
            fut,
            lambda _r: self._signed_out(window, name),
            lambda e: self._say(f"签退失败：{getattr(e, 'message', None) or e}"),
        )

    def _signed_out(self, window: str, name: str) -> None:
        self._say(f"{name} 已从 {window} 号窗口签退")
        self.refresh()

    def _say(self, text: str) -> None:
        self.message = text
        if self.report is not None:
            self.report(text)
