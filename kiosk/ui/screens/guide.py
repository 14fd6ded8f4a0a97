"""Service guide (办事指南): everything to bring, told at once (一次性告知), and two ways on:
"材料齐全，取号" or "打印告知单"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.services import ui_support as fmt
from kiosk.ui import fonts, theme
from kiosk.ui.bridge import when_done
from kiosk.ui.widgets import Caption, KioskButton

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class GuideScreen(Screen):
    service_code = StringProperty("")
    service_name = StringProperty("")
    materials = StringProperty("")
    process = StringProperty("")
    promise = StringProperty("")
    fee = StringProperty("")
    basis = StringProperty("")
    windows = StringProperty("")
    print_status = StringProperty("")
    busy = BooleanProperty(False)

    def prepare(self, service_code: str | None = None, **_params: Any) -> None:
        self._build_list()
        config = App.get_running_app().config_hall
        self.show(service_code or config.services[0].code)

    def _build_list(self) -> None:
        box = self.ids.service_list
        if box.children:
            return
        config = App.get_running_app().config_hall
        category = None
        for svc in config.services:
            if svc.category != category:
                category = svc.category
                box.add_widget(Caption(text=f"[b]{category}[/b]", base_size=24, color=theme.MUTED))
            b = KioskButton(key=f"guide_{svc.code}", text=svc.name, size_hint_y=None, debounce_s=0.3)
            b.size_hint_x = 0.49 if App.get_running_app().theme.portrait else 1
            b.base_font = 24
            b.scale_font = False
            b.height = 84
            b.bind(on_release=lambda btn, code=svc.code: self.show(code))
            box.add_widget(b)

    def show(self, code: str) -> None:
        config = App.get_running_app().config_hall
        svc = config.service(code)
        g = svc.guide
        self.service_code = code
        self.service_name = fonts.with_fallback(svc.name)
        self.materials = "\n".join(fmt.material_lines(svc)) or "无需材料"
        self.process = "  →  ".join(g.process) or "窗口受理"
        self.promise = fmt.promise_text(g.promised_days) + (
            f"（法定 {g.legal_days} 个工作日）" if g.legal_days else ""
        )
        self.fee = g.fee
        self.basis = "\n".join(g.legal_basis) or "—"
        self.windows = fmt.windows_text(config.windows_for(code))
        self.print_status = ""
        for b in self.ids.service_list.children:
            if isinstance(b, KioskButton):
                b.bg = theme.ORANGE if b.key == f"guide_{code}" else theme.PRIMARY

    def take_number(self) -> None:
        App.get_running_app().screen("ticket").begin(self.service_code, None)

    def print_notice(self) -> None:
        app = App.get_running_app()
        self.busy = True
        self.print_status = "正在打印告知单…"
        try:
            fut = app.runtime.print_guide(self.service_code)
        except Exception as exc:  # noqa: BLE001 - any print failure is shown to the resident
            self._printed_failed(exc)
            return
        when_done(fut, self._printed, self._printed_failed)

    def _printed(self, result: Any) -> None:
        self.busy = False
        if getattr(result, "ok", False):
            self.print_status = "告知单已打印，请从出票口取走。"
        else:
            fault = getattr(result, "fault", None)
            reason = fault.reason if fault else "打印机暂时不能打印"
            self.print_status = f"{reason}。请用手机拍下本页，或到窗口领取纸质告知单。"

    def _printed_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.print_status = "打印机暂时不能打印。请用手机拍下本页，或到窗口领取纸质告知单。"
