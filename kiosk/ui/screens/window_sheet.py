"""The staff screen's sheet for one window: what a caller keypad cannot do.

Finish with another outcome (承诺件, 转办, or 材料不全 with the missing materials ticked, which prints
the written 一次性告知 for the resident), set the resident aside (挂起) and call them back, and call a
waiting number out of turn (指定叫号). Every button runs the same engine operation a keypad or the
CLI would; reads and writes go through the runtime's worker threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui import theme
from kiosk.ui.bridge import background, when_done
from kiosk.ui.widgets import KioskButton, ShowIf  # noqa: F401  (ShowIf is used in the .kv rules)
from sync.contract.enums import Outcome

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

OUTCOME_DONE = {
    Outcome.PROMISED: "记为承诺件",
    Outcome.REFERRED: "已转办",
    Outcome.MATERIALS_INCOMPLETE: "已记材料不全",
}
PICK_COLUMNS = 6


class WindowSheet(FloatLayout):
    """Shown over the staff screen for one window; `report(text)` goes to the staff screen's status."""

    window = StringProperty("")
    heading = StringProperty("")
    message = StringProperty("")
    view = ObjectProperty(None, allownone=True)
    materials = ListProperty([])
    missing = ListProperty([])
    picking_materials = BooleanProperty(False)
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

    # ---- data ----------------------------------------------------------------------------------
    def load(self, window: str) -> None:
        self.window = window
        self.view = None
        self.picking_materials = False
        self.missing = []
        self.message = ""
        self.heading = f"[b]{window} 号窗口[/b]　正在读取…"
        rt = App.get_running_app().runtime
        background(rt.engine.desk_view, int(window), then=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.heading = f"[b]{self.window} 号窗口[/b]　读取失败：{exc}"

    def _show(self, view: Any) -> None:
        self.view = view
        config = App.get_running_app().config_hall
        if view.current_number:
            service = config.service(view.current_service)
            self.heading = f"[b]{view.window} 号窗口[/b]　正在办理 {view.current_number}　{service.name}"
            self.materials = [m.name for m in service.guide.materials]
        else:
            state = "暂停服务" if view.paused else "空闲"
            self.heading = f"[b]{view.window} 号窗口[/b]　{state}"
            self.materials = []
        self._fill_materials()
        self._fill_waiting()

    def _fill_materials(self) -> None:
        grid = self.ids.materials
        grid.clear_widgets()
        for i, name in enumerate(self.materials):
            grid.add_widget(
                KioskButton(
                    key=f"material_{i}",
                    text=name,
                    base_font=22,
                    scale_font=False,
                    debounce_s=0.3,
                    global_gap_s=0,
                    bg=theme.ORANGE if name in self.missing else theme.MUTED,
                    on_release=lambda b, n=name: self.toggle_material(b, n),
                )
            )

    def _fill_waiting(self) -> None:
        grid = self.ids.waiting
        grid.clear_widgets()
        for number in self.view.waiting if self.view else []:
            grid.add_widget(
                KioskButton(
                    key=f"pick_{number}",
                    text=number,
                    base_font=26,
                    scale_font=False,
                    debounce_s=0.5,
                    bg=theme.GREEN,
                    on_release=lambda _b, n=number: self.call_specific(n),
                )
            )

    # ---- actions -------------------------------------------------------------------------------
    def toggle_material(self, button: Any, name: str) -> None:
        if name in self.missing:
            self.missing = [n for n in self.missing if n != name]
        else:
            self.missing = [*self.missing, name]
        button.bg = theme.ORANGE if name in self.missing else theme.MUTED

    def finish(self, outcome: str) -> None:
        view = self.view
        if view is None or not view.current_number:
            self._say(f"{self.window} 号窗口当前没有正在办理的号")
            return
        if outcome == Outcome.MATERIALS_INCOMPLETE and not self.missing:
            self._say("请先勾选缺少的材料")
            return
        missing = list(self.missing) if outcome == Outcome.MATERIALS_INCOMPLETE else None
        args: tuple[Any, ...] = (outcome, missing) if missing else (outcome,)
        number, service = view.current_number, view.current_service
        self._run("finish", args, lambda _r: self._finished(outcome, number, service, missing))

    def _finished(self, outcome: str, number: str, service: str, missing: list[str] | None) -> None:
        done = f"{self.window} 号窗口{OUTCOME_DONE[Outcome(outcome)]}：{number}"
        if not missing:
            self._say(done)
            return
        self._say(done + "，正在打印一次性告知单…")

        def failed(reason: object) -> None:
            self._say(done + f"，告知单打印失败，请手写告知（{reason}）")

        try:
            fut = App.get_running_app().runtime.print_guide(service, missing, int(self.window))
        except Exception as exc:  # noqa: BLE001 - no printer configured
            failed(exc)
            return
        when_done(
            fut,
            lambda r: (
                self._say(done + "，一次性告知单已打印")
                if r.ok
                else failed(r.fault.reason if r.fault else "打印失败")
            ),
            failed,
        )

    def hold(self) -> None:
        self._run("hold", (), lambda _r: self._say(f"{self.window} 号窗口已挂起当前号"))

    def call_held(self) -> None:
        self._run("call_held", (), lambda r: self._say(f"{self.window} 号窗口叫回挂起的 {r.number}"))

    def call_specific(self, number: str) -> None:
        self._run(
            "call_specific", (number,), lambda r: self._say(f"{self.window} 号窗口指定叫号：{r.number}")
        )

    def _run(self, name: str, args: tuple[Any, ...], done: Any) -> None:
        rt = App.get_running_app().runtime
        self._say("…")
        when_done(rt.window_op(name, int(self.window), *args), self._then_close(done), self._refused)

    def _then_close(self, done: Any) -> Any:
        def deliver(result: Any) -> None:
            done(result)
            if self.close is not None:
                self.close()

        return deliver

    def _refused(self, exc: BaseException) -> None:
        self._say(f"{self.window} 号窗口：{getattr(exc, 'message', None) or exc}")

    def _say(self, text: str) -> None:
        self.message = text
        if self.report is not None:
            self.report(text)
