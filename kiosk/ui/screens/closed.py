"""Closed / out of hours: says so plainly, with the hours and when issuing opens next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.services import ui_support as fmt

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ClosedScreen(Screen):
    reason = StringProperty("现在不是办公时间")
    hours = StringProperty("")
    next_opening = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        if app.config_hall is not None:
            self.hours = "办公时间：" + fmt.hours_text(app.config_hall)
        state = app.issuing
        if state is not None and not state.open:
            self.reason = state.reason or "现在不是办公时间"
            self.next_opening = fmt.next_opening_text(state.next_opening, app.now_local().date())
