"""Home: hall name, clock, service buttons by category with the queue, 长者模式, 绿色通道, 办事指南,
the latest calls and the supervision hotline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen

from kiosk.services import ui_support as fmt
from kiosk.ui import fonts, theme
from kiosk.ui.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

LINES_PER_FRAME = 3
"""Service buttons whose waiting line is re-rendered in one frame (see `_apply_lines`)."""


class CategoryTag(Label):
    WIDTH = 150


class ServiceButton(KioskButton):
    service_name = StringProperty("")
    category = StringProperty("")
    wait_line = StringProperty("正在读取排队人数…")


class PriorityPicker(ModalView):
    """绿色通道: who may use it; the choice is only a category, never a name or ID."""

    categories = ListProperty([])

    def on_open(self) -> None:
        grid = self.ids.cats
        grid.clear_widgets()
        home = App.get_running_app().screen("home")
        for code, label in self.categories:
            b = KioskButton(key=f"priority_{code}", text=f"[b]{label}[/b]", bg=theme.GREEN)
            b.bind(on_release=lambda _b, c=code, lb=label: home.choose_priority(c, lb))
            grid.add_widget(b)


class HomeScreen(Screen):
    mode = StringProperty("")  # "" | "priority" | "guide"
    priority = StringProperty("")
    priority_label = StringProperty("")
    ticker_text = StringProperty("")
    priority_line = StringProperty("")
    """The 绿色通道 button's subtitle: the configured categories."""
    _ticker_i = NumericProperty(0)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._buttons: dict[str, ServiceButton] = {}
        self._pending_lines: dict[str, str] = {}
        self._built = False
        Clock.schedule_interval(self._rotate_ticker, 5.0)
        Clock.schedule_once(self._rotate_ticker, 1.0)

    def on_pre_enter(self, *_args: Any) -> None:
        if not self._built:
            self._build_services()

    def prepare(self, **_params: Any) -> None:
        self.reset_modes()

    def on_leave(self, *_args: Any) -> None:
        self.reset_modes()
        for b in self._buttons.values():
            b.held = False

    def reset_modes(self) -> None:
        self.mode = ""
        self.priority = ""
        self.priority_label = ""

    # ---- service buttons, grouped by category --------------------------------------------
    def _build_services(self) -> None:
        """Category tags and their buttons flow in rows, so a whole hall's list fits one screen."""
        app = App.get_running_app()
        config = app.config_hall
        if config is None:
            return
        self.priority_line = fmt.priority_line(config)
        box = self.ids.services
        box.clear_widgets()
        categories: dict[str, list[Any]] = {}
        for svc in config.services:
            categories.setdefault(svc.category, []).append(svc)
        for category, services in categories.items():
            box.add_widget(CategoryTag(text=category))
            for svc in services:
                b = ServiceButton(key=svc.code, service_name=fonts.with_fallback(svc.name), category=category)
                b.bind(on_release=self._on_service)
                self._buttons[svc.code] = b
                box.add_widget(b)
        box.bind(width=self._size_buttons)
        app.theme.bind(portrait=self._size_buttons)
        self._size_buttons()
        self._built = True

    def _size_buttons(self, *_args: Any) -> None:
        box = self.ids.services
        per_row = 2 if App.get_running_app().theme.portrait else 3
        # A row is one category tag and `per_row` buttons; leave room for the gaps and the padding.
        free = box.width - box.padding[0] - box.padding[2] - CategoryTag.WIDTH - per_row * box.spacing[0]
        width = (free - 2) / per_row
        for b in self._buttons.values():
            b.width = max(200, width)

    def show_overview(self, overview: dict[str, dict[str, Any]]) -> None:
        if not self._built:
            self._build_services()
        for code, row in overview.items():
            b = self._buttons.get(code)
            if b is None:
                continue
            # A service issuing would refuse (cap reached, cut-off, day closed) is not offered: its
            # button says why instead of the wait.
            refused = row.get("refused", "")
            b.disabled = bool(refused)
            line = refused or fmt.wait_text(row["waiting"], row["wait_min"], row["wait_max"])
            if b.wait_line != line:
                self._pending_lines[code] = line
        self._apply_lines()

    def _apply_lines(self, *_args: Any) -> None:
        # Each changed line re-renders its button's text on this thread; a busy morning changes every
        # button's wait at once, so a few go per frame rather than one long frame for all of them.
        for _ in range(min(LINES_PER_FRAME, len(self._pending_lines))):
            code = next(iter(self._pending_lines))
            self._buttons[code].wait_line = self._pending_lines.pop(code)
        if self._pending_lines:
            Clock.schedule_once(self._apply_lines, 0)

    def _on_service(self, button: ServiceButton) -> None:
        app = App.get_running_app()
        if self.mode == "guide":
            app.go("guide", service_code=button.key)
            return
        priority = self.priority or None
        if app.screen("ticket").begin(button.key, priority):
            # Usually the ticket screen is up before this fires; if the printer is slow, show the
            # press (then, at SHOW_PROGRESS_AFTER_S, the printing progress).
            Clock.schedule_once(lambda _dt: setattr(button, "held", app.sm.current == "home"), 0.08)

    # ---- side buttons -------------------------------------------------------------------------
    def toggle_elder(self) -> None:
        app = App.get_running_app()
        app.theme.elder = not app.theme.elder

    def open_priority(self) -> None:
        app = App.get_running_app()
        picker = PriorityPicker(categories=[(c.code, c.label) for c in app.config_hall.priority.categories])
        self._picker = picker
        picker.open()

    def choose_priority(self, code: str, label: str) -> None:
        self._picker.dismiss()
        self.mode = "priority"
        self.priority = code
        self.priority_label = label

    def open_guide(self) -> None:
        App.get_running_app().go("guide", service_code=None)

    def open_staff(self) -> None:
        App.get_running_app().go("pin")

    # ---- ticker of the latest calls --------------------------------------------------------
    def _rotate_ticker(self, _dt: float) -> None:
        calls = App.get_running_app().recent_calls if App.get_running_app() else []
        if not calls:
            self.ticker_text = "叫号时请留意屏幕和广播"
            return
        self._ticker_i = (self._ticker_i + 1) % len(calls)
        number, window = calls[self._ticker_i]
        self.ticker_text = f"刚刚叫号：请 {number} 号 到 {window} 号窗口办理"
