"""Home: hall name, clock, the services in category sections (each with its picture and colour), or
first the categories and then one category's services; 不知道办什么 (首问), 绿色通道, 办事指南,
长者模式, the latest calls and the supervision hotline.

Where each section and button goes is computed by `kiosk.services.home_plan` (Kivy-free, tested
on its own) and placed by position: no nested layouts to recompute on a software renderer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.relativelayout import RelativeLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.services import home_plan
from kiosk.services import ui_support as fmt
from kiosk.ui import palette, theme
from kiosk.ui.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

LINES_PER_FRAME = 3
"""Service buttons whose waiting line is re-rendered in one frame (see `_apply_lines`)."""
CONFIRM_S = 6.0
"""长者模式: a second touch on the same service within this many seconds takes the number."""


class GroupFrame(Widget):
    """A category's section: a thin tint of its colour with a stripe down the left. Not a button.

    The tint is painted only around the buttons (`pieces`: x, y offsets from the frame's lower left
    corner, width, height), so no pixel of the section is painted twice."""

    colour = ColorProperty(theme.PRIMARY)
    tint = ColorProperty(theme.PANEL)
    pieces = ListProperty([])

    def on_kv_post(self, _base: Any) -> None:
        self.bind(pos=self._paint, size=self._paint, pieces=self._paint)
        self._paint()

    def _paint(self, *_args: Any) -> None:
        self.canvas.before.clear()
        with self.canvas.before:
            Color(rgba=self.tint)
            for dx, dy, w, h in self.pieces or [(0, 0, self.width, self.height)]:
                Rectangle(pos=(self.x + dx, self.y + dy), size=(w, h))


class Icon(Widget):
    """A shipped icon (white on transparent) drawn in a colour; a plain rectangle, no stencil."""

    source = StringProperty("")
    colour = ColorProperty(theme.WHITE)


class GroupHeading(BoxLayout):
    """The category's picture and name, in its colour on its tint: a heading, never a button."""

    name = StringProperty("")
    icon = StringProperty("")
    colour = ColorProperty(theme.PRIMARY)
    base_font = NumericProperty(28)


class ServiceButton(KioskButton):
    service_name = StringProperty("")
    name_fit = ObjectProperty(("", 30))
    """The name as drawn: broken into lines and the font size it fits at (`home_plan.name_fit`)."""
    category = StringProperty("")
    wait_line = StringProperty("正在读取排队人数…")
    armed = BooleanProperty(False)
    """长者模式: touched once, its name said aloud; a second touch takes the number."""
    icon = StringProperty("")

    def on_icon(self, _inst: Any, path: str) -> None:
        if path and not getattr(self, "_icon_rect", None):
            with self.canvas.after:
                Color(1, 1, 1, 1)
                self._icon_rect = Rectangle(source=path)
            self.bind(pos=self._place_icon, size=self._place_icon)
            self._place_icon()

    def _place_icon(self, *_args: Any) -> None:
        side = min(self.height * 0.45, 64)
        self._icon_rect.pos = (self.x + 12, self.center_y - side / 2)
        self._icon_rect.size = (side, side)


class CategoryTile(KioskButton):
    """The first step of a hall with many services: one category, its picture and its queue."""

    name = StringProperty("")
    name_fit = ObjectProperty(("", 34))
    icon = StringProperty("")
    detail = StringProperty("")


class FirstAskButton(KioskButton):
    label = StringProperty("不知道办什么？")
    refused = StringProperty("")
    armed = BooleanProperty(False)


class ServiceArea(RelativeLayout):
    """Sections and buttons at the positions of a `home_plan` plan (y from the top)."""

    def place(self, widget: Widget, box: home_plan.Box) -> None:
        widget.size_hint = (None, None)
        widget.size = (box.w, box.h)
        widget.pos = (box.x, self.height - box.y - box.h)
        self.add_widget(widget)


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
    two_step = BooleanProperty(False)
    """The hall's services did not fit at a readable size: categories first, then services."""
    page = NumericProperty(-1)
    """Two-step: the category shown (index into `groups`), -1 for the category tiles."""
    page_title = StringProperty("")
    first_ask_shown = BooleanProperty(False)
    first_ask_label = StringProperty("")
    first_ask_refused = StringProperty("")
    """Why the 咨询 service cannot be issued now (the button is greyed and says so)."""
    priority_line = StringProperty("")
    """The 绿色通道 button's subtitle: the configured categories."""
    _ticker_i = NumericProperty(0)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._buttons: dict[str, ServiceButton] = {}
        self._tiles: list[CategoryTile] = []
        self._lines: dict[str, str] = {}
        self._waiting: dict[str, int] = {}
        self._refused: dict[str, str] = {}
        self._pending_lines: dict[str, str] = {}
        self.groups: list[home_plan.Group] = []
        self._built = False
        self._laid_for: tuple[Any, ...] = ()
        self._armed: tuple[str, float] = ("", 0.0)
        self._layout_trigger = Clock.create_trigger(self._layout, 0)
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
        self._disarm()
        if self.two_step and self.page != -1:
            self.show_page(-1)

    # ---- building ------------------------------------------------------------------------------
    def _build_services(self) -> None:
        app = App.get_running_app()
        config = app.config_hall
        if config is None:
            return
        self.groups = home_plan.groups(config)
        self.priority_line = fmt.priority_line(config)
        first = config.home.first_ask
        self.first_ask_shown = first is not None
        self.first_ask_label = first.label if first else ""
        area = self.ids.services
        area.bind(size=self._layout_trigger)
        self.ids.scroll.bind(size=self._layout_trigger)
        app.theme.bind(scale=self._layout_trigger, portrait=self._layout_trigger)
        self._built = True
        self._layout()

    def metrics(self) -> home_plan.Metrics:
        return home_plan.Metrics(scale=App.get_running_app().theme.scale, min_target=palette.MIN_TARGET_PX)

    def _layout(self, *_args: Any) -> None:
        """Place the sections (or tiles, or one category's page) for the current size and scale."""
        config = App.get_running_app().config_hall
        view = self.ids.scroll
        if config is None or view.width < 10 or view.height < 10:
            return
        m = self.metrics()
        key = (view.width, view.height, m.scale, self.page)
        if key == self._laid_for:
            return
        self._laid_for = key
        width = view.width - 16  # room for the scroll bar when the page overflows
        self.two_step = home_plan.choose_two_step(config, width, view.height, m)
        if not self.two_step:
            self.page = -1
        area = self.ids.services
        area.clear_widgets()
        self._buttons = {}
        self._tiles = []
        if self.two_step and self.page == -1:
            boxes = home_plan.plan_tiles(len(self.groups), width, view.height, m)
            area.height = max(view.height, max(b.y + b.h for b in boxes))
            for i, (g, box) in enumerate(zip(self.groups, boxes, strict=True)):
                tile = CategoryTile(
                    key=f"category_{i}", name=g.name, icon=g.icon_path, bg=home_plan.rgba(g.colour)
                )
                tile.bind(on_release=lambda _t, k=i: self.show_page(k))
                self._tiles.append(tile)
                area.place(tile, box)
            self._refresh_tiles()
            self.page_title = ""
        else:
            shown = [self.groups[self.page]] if self.two_step else self.groups
            sizes = [len(g.services) for g in shown]
            plan = home_plan.plan_one_screen(sizes, width, view.height, m, fit=False)
            assert plan is not None
            area.height = max(view.height, plan.height)
            for section in plan.sections:
                g = shown[section.group]
                colour = home_plan.rgba(g.colour)
                f = section.frame
                pieces = [
                    (b.x - f.x, f.y + f.h - b.y - b.h, b.w, b.h) for b in home_plan.tint_pieces(section)
                ]
                frame = GroupFrame(colour=colour, tint=home_plan.tint(g.colour), pieces=pieces)
                area.place(frame, section.frame)
                heading = GroupHeading(name=g.name, icon=g.icon_path, colour=colour, base_font=28 * m.scale)
                area.place(heading, section.heading)
                for svc, box in zip(g.services, section.buttons, strict=True):
                    b = ServiceButton(
                        key=svc.code,
                        service_name=svc.name,
                        category=g.name,
                        bg=colour,
                        wait_line=self._lines.get(svc.code, "正在读取排队人数…"),
                        disabled=bool(self._refused.get(svc.code)),
                    )
                    b.icon = home_plan.service_icon(svc)  # after __init__: it draws on the canvas
                    b.bind(on_release=self._on_service)
                    self._buttons[svc.code] = b
                    area.place(b, box)
            self.page_title = self.groups[self.page].name if self.two_step else ""
        view.scroll_y = 1

    def laid_out(self) -> bool:
        """True when what is placed was planned for the area as it is now (tests wait for it)."""
        view = self.ids.scroll
        return self._laid_for == (view.width, view.height, App.get_running_app().theme.scale, self.page)

    def show_page(self, index: int) -> None:
        """Two-step: a category's services (index), or back to the categories (-1)."""
        self._disarm()
        self.page = index
        # The page's title bar takes room from the area first; the size change lays it out again.
        self.page_title = self.groups[index].name if index >= 0 else ""
        self._layout()
        if index >= 0:
            App.get_running_app().spoken.say_text(self.groups[index].name)

    # ---- the queue on the buttons --------------------------------------------------------------
    def show_overview(self, overview: dict[str, dict[str, Any]]) -> None:
        if not self._built:
            self._build_services()
        config = App.get_running_app().config_hall
        first_ask = config.home.first_ask.service if config and config.home.first_ask else None
        for code, row in overview.items():
            # A service issuing would refuse (cap reached, cut-off, day closed) is not offered: its
            # button says why instead of the wait.
            refused = row.get("refused", "")
            line = refused or fmt.wait_text(row["waiting"], row["wait_min"], row["wait_max"])
            self._waiting[code] = row["waiting"]
            self._refused[code] = refused
            self._lines[code] = line
            if code == first_ask and self.first_ask_refused != refused:
                self.first_ask_refused = refused
            b = self._buttons.get(code)
            if b is None:
                continue
            b.disabled = bool(refused)
            if b.wait_line != line:
                self._pending_lines[code] = line
        self._apply_lines()
        self._refresh_tiles()

    def _refresh_tiles(self) -> None:
        for tile, g in zip(self._tiles, self.groups, strict=False):
            waiting = sum(self._waiting.get(s.code, 0) for s in g.services)
            refused = [self._refused.get(s.code, "") for s in g.services]
            detail = f"{len(g.services)} 项业务\n" + (f"等候 {waiting} 人" if waiting else "无需等候")
            if all(refused):  # nothing in it can be issued: say why rather than offer an empty page
                detail = refused[0]
            tile.disabled = all(refused)
            if tile.detail != detail:
                tile.detail = detail

    def _apply_lines(self, *_args: Any) -> None:
        # Each changed line re-renders its button's text on this thread; a busy morning changes every
        # button's wait at once, so a few go per frame rather than one long frame for all of them.
        for _ in range(min(LINES_PER_FRAME, len(self._pending_lines))):
            code = next(iter(self._pending_lines))
            line = self._pending_lines.pop(code)
            if code in self._buttons:
                self._buttons[code].wait_line = line
        if self._pending_lines:
            Clock.schedule_once(self._apply_lines, 0)

    # ---- taking a number -----------------------------------------------------------------------
    def _confirmed(self, code: str, widget: Any) -> bool:
        """长者模式: the first touch says the service's name and arms it; the second takes the number."""
        app = App.get_running_app()
        if not app.theme.elder:
            return True
        armed_code, at = self._armed
        if armed_code == code and time.monotonic() - at <= CONFIRM_S:
            self._disarm()
            return True
        self._disarm()
        self._armed = (code, time.monotonic())
        widget.armed = True
        self._armed_widget = widget
        self._disarm_ev = Clock.schedule_once(lambda _dt: self._disarm(), CONFIRM_S)
        app.spoken.say_service(code)
        return False

    def _disarm(self) -> None:
        self._armed = ("", 0.0)
        widget = getattr(self, "_armed_widget", None)
        if widget is not None:
            widget.armed = False
            self._armed_widget = None
        ev = getattr(self, "_disarm_ev", None)
        if ev is not None:
            ev.cancel()
            self._disarm_ev = None

    def _on_service(self, button: ServiceButton) -> None:
        app = App.get_running_app()
        if self.mode == "guide":
            app.go("guide", service_code=button.key)
            return
        if not self._confirmed(button.key, button):
            return
        self._issue(button.key, button)

    def first_ask(self, button: FirstAskButton) -> None:
        config = App.get_running_app().config_hall
        if config.home.first_ask is None:
            return
        code = config.home.first_ask.service
        if self._confirmed(code, button):
            self._issue(code, button)

    def _issue(self, code: str, button: KioskButton) -> None:
        app = App.get_running_app()
        priority = self.priority or None
        if app.screen("ticket").begin(code, priority):
            # Usually the ticket screen is up before this fires; if the printer is slow, show the
            # press (then, at SHOW_PROGRESS_AFTER_S, the printing progress).
            Clock.schedule_once(lambda _dt: setattr(button, "held", app.sm.current == "home"), 0.08)

    # ---- side buttons -------------------------------------------------------------------------
    def toggle_elder(self) -> None:
        app = App.get_running_app()
        app.theme.elder = not app.theme.elder
        self._disarm()

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
