"""Staff PIN. Checked off the Kivy thread (PBKDF2 takes ~100 ms); a wrong PIN is refused and the keypad
locks for a growing delay, so guessing at the hall entrance is slow. The count and the lock live in the
runtime (kiosk/services/pin_guard.py, on disk), so restarting the kiosk does not reset them."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.services.pin_guard import PinVerdict
from kiosk.ui.bridge import background

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
log = logging.getLogger(__name__)
MAX_LEN = 8


class PinScreen(Screen):
    entered = StringProperty("")
    message = StringProperty("请输入工作人员密码")
    locked = BooleanProperty(False)
    checking = BooleanProperty(False)
    lock_left = NumericProperty(0)
    failures = NumericProperty(0)

    def prepare(self, **_params: Any) -> None:
        self.entered = ""
        if not self.locked:
            self.message = "请输入工作人员密码"
            # A lock-out from before a restart holds on: ask the runtime (it reads no disk here).
            background(App.get_running_app().runtime.pin_state, then=self._restore)

    def _restore(self, state: PinVerdict) -> None:
        if self.locked or self.checking:  # a PIN typed meanwhile has the newer verdict
            return
        self.failures = state.failures
        if state.lock_left > 0:
            self._lock(state.lock_left)

    def press(self, key: str) -> None:
        if self.locked or self.checking:
            return
        if key == "clear":
            self.entered = ""
        elif key == "ok":
            self._check()
        elif len(self.entered) < MAX_LEN:
            self.entered += key

    def _check(self) -> None:
        if not self.entered:
            return
        pin, self.entered = self.entered, ""
        self.checking = True
        self.message = "正在核对…"
        rt = App.get_running_app().runtime
        background(rt.pin_attempt, pin, then=self._checked, failed=self._check_failed)

    def _check_failed(self, exc: BaseException) -> None:
        log.error("staff PIN check failed: %s", exc)
        self.checking = False
        self.message = "密码错误，请重新输入"

    def _checked(self, verdict: PinVerdict) -> None:
        self.checking = False
        self.failures = verdict.failures
        if verdict.ok:
            self.message = "请输入工作人员密码"
            App.get_running_app().go("staff")
            return
        log.warning("wrong staff PIN (%d in a row)", self.failures)
        self._lock(verdict.lock_left)

    def _lock(self, seconds: float) -> None:
        self.lock_left = math.ceil(seconds)
        self.locked = True
        self._update_lock_message()
        Clock.schedule_interval(self._count_down, 1.0)

    def _update_lock_message(self) -> None:
        self.message = f"密码错误，请 {int(self.lock_left)} 秒后再试"

    def _count_down(self, _dt: float) -> bool:
        self.lock_left -= 1
        if self.lock_left <= 0:
            self.locked = False
            self.message = "密码错误，请重新输入"
            return False
        self._update_lock_message()
        return True
