"""Out of service: the configuration is broken or a device the hall can't work without is gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui.widgets import ClipScrollView, ShowIf  # noqa: F401  (used in the .kv rules)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class OutOfServiceScreen(Screen):
    reason = StringProperty("")
    problems = StringProperty("")
    staff_allowed = BooleanProperty(False)

    def on_pre_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        self.staff_allowed = app.runtime is not None
        if app.config_problems:
            self.reason = "本机配置有误，暂时不能取号。"
            self.problems = "给安装人员：\n" + "\n".join(app.config_problems[:12])
        elif app.runtime is None:
            self.reason = "本机还没有准备好，暂时不能取号。"
            self.problems = ""
        else:
            health = app.health
            self.reason = (health.out_of_service_reason if health else "") or "设备故障，暂时不能取号。"
            self.problems = ""
