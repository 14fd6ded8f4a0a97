"""What the call board shows, kept up to date from the engine's notices.

`BoardModel` holds the board's picture of the hall (each window's call, the latest calls, the queue)
and turns each `Notice` into the events the pages apply. It holds numbers and windows only: no name,
no ID number, nothing a resident told the kiosk. Not thread-safe by itself: the feed thread owns it
(under the hub's lock, so a page connecting sees a snapshot and the events after it, nothing twice).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from kiosk.config.schema import HallConfig, hex_contrast
from kiosk.engine.notices import CHANGES_WAITING, Notice, NoticeKind
from kiosk.services.call_words import segments_for
from kiosk.services.home_plan import on_dark, service_colour
from kiosk.services.ui_support import date_text


class EventKind(enum.StrEnum):
    """The SSE event names the pages listen for."""

    SNAPSHOT = "snapshot"
    CALL = "call"
    WINDOW = "window"
    QUEUE = "queue"
    CLOCK = "clock"
    HEARTBEAT = "heartbeat"
    """Not numbered, not replayed: only says the kiosk is still there."""


class CallMark(enum.StrEnum):
    """How a call in the latest-calls list ended, when it did not end in service."""

    RECALLED = "再次呼叫"
    NO_SHOW = "过号"


QUEUE_CHANGES = CHANGES_WAITING
"""Notices after which the board re-reads the waiting counts."""
WINDOW_FREED = frozenset({NoticeKind.FINISHED, NoticeKind.NO_SHOW, NoticeKind.HELD, NoticeKind.TRANSFERRED})
"""Notices after which nobody is being served at the window any more."""

# The grounds the category stripes are drawn on, as static/board.css declares them in :root
# (tests/board/test_board_colours.py reads the sheet and checks they agree).
BOARD_BG = "#0b1e3a"
"""--bg: the page itself; the 窗口屏's number and its underline stand on it."""
BOARD_PANEL = "#12305a"
"""--panel: the window cards, the latest calls and the queue table."""
BOARD_FRESH = "#1d467f"
"""--fresh: a window card while its new call is highlighted, the lightest ground of the three."""
STRIPE_GROUNDS = (BOARD_BG, BOARD_PANEL, BOARD_FRESH)
STRIPE_CONTRAST = 3.0
"""WCAG's minimum for a graphical object: a stripe must stand out from every ground it is drawn on."""


def stripe_colour(colour: str) -> str:
    """The category colour as the board's stripes draw it: the kiosk's colour is dark enough for white
    text and so too faint on the board's dark grounds; lightened (`on_dark`, its hue kept) for the
    ground that needs most, it stands out at 3:1 from all of them."""
    if not colour:
        return ""
    lightened = [on_dark(colour, ground, STRIPE_CONTRAST) for ground in STRIPE_GROUNDS]
    fits = (c for c in lightened if all(hex_contrast(c, g) >= STRIPE_CONTRAST for g in STRIPE_GROUNDS))
    return next(fits, "#FFFFFF")


@dataclass
class WindowView:
    number: int
    name: str
    services: list[str]
    current: str | None = None
    recall: bool = False
    paused: bool = False
    colour: str = ""  # the current number's category colour, "" when nobody is called
    stripe: str = ""  # the same as the board's stripes draw it (`stripe_colour`)

    def json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "services": self.services,
            "current": self.current,
            "recall": self.recall,
            "paused": self.paused,
            "colour": self.colour if self.current else "",
            "stripe": self.stripe if self.current else "",
        }


@dataclass
class LatestCall:
    number: str
    window: int
    mark: str = ""
    colour: str = ""
    stripe: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "window": self.window,
            "mark": self.mark,
            "colour": self.colour,
            "stripe": self.stripe,
        }


@dataclass
class QueueLine:
    code: str
    name: str
    colour: str  # the service's category colour, as on the kiosk's button and ticket screen
    stripe: str  # the same as the board's stripes draw it (`stripe_colour`)
    waiting: int = 0
    wait_min: int = 0
    wait_max: int = 0

    def json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "colour": self.colour,
            "stripe": self.stripe,
            "waiting": self.waiting,
            "wait_min": self.wait_min,
            "wait_max": self.wait_max,
        }


@dataclass
class BoardModel:
    config: HallConfig
    latest_limit: int
    voice_on_board: bool
    ticker: list[str]
    windows: dict[int, WindowView] = field(default_factory=dict)
    latest: list[LatestCall] = field(default_factory=list)
    queue: list[QueueLine] = field(default_factory=list)
    date_text: str = ""
    clock_text: str = ""
    colours: dict[str, str] = field(default_factory=dict)
    """Each service's category colour by service code (`service_colour`, the kiosk's own)."""
    prefix_colours: dict[str, str] = field(default_factory=dict)
    """The same by ticket prefix: calls read back from the database carry only their number."""
    stripes: dict[str, str] = field(default_factory=dict)
    """Each category colour's stripe (`stripe_colour`), worked out once when the board starts."""

    @classmethod
    def create(cls, config: HallConfig, latest_limit: int, voice_on_board: bool) -> BoardModel:
        names = {s.code: s.name for s in config.services}
        model = cls(config, latest_limit, voice_on_board, list(config.board.ticker if config.board else []))
        for w in config.windows:
            model.windows[w.number] = WindowView(
                w.number, w.name, [names[c] for c in w.services if c in names]
            )
        model.colours = {s.code: service_colour(config, s.code) for s in config.services}
        model.prefix_colours = {s.prefix: model.colours[s.code] for s in config.services}
        model.stripes = {c: stripe_colour(c) for c in model.colours.values()}
        for s in config.services:
            colour = model.colours[s.code]
            model.queue.append(QueueLine(s.code, s.name, colour, model.stripe_of(colour)))
        return model

    def stripe_of(self, colour: str) -> str:
        return self.stripes.get(colour, "")

    def colour_of(self, number: str | None, service_code: str | None = None) -> str:
        """A called number's category colour: by its service when known, else by its prefix."""
        if service_code and service_code in self.colours:
            return self.colours[service_code]
        return self.prefix_colours.get((number or "").rstrip("0123456789"), "")

    # ---- loading from the database (at start, after the day's close) ---------------------------------
    def load(
        self,
        desks: dict[int, tuple[str | None, bool]],
        recent: list[tuple[str, int]],
        overview: dict[str, dict[str, int]],
    ) -> None:
        for window_number, (current, paused) in desks.items():
            if window_number in self.windows:
                w = self.windows[window_number]
                w.current, w.paused, w.recall = current, paused, False
                w.colour = self.colour_of(current)
                w.stripe = self.stripe_of(w.colour)
        self.latest = []
        for number, window in recent:
            if all(c.number != number for c in self.latest):
                colour = self.colour_of(number)
                self.latest.append(LatestCall(number, window, colour=colour, stripe=self.stripe_of(colour)))
        self.latest = self.latest[: self.latest_limit]
        self.set_queue(overview)

    def set_queue(self, overview: dict[str, dict[str, int]]) -> bool:
        """Take new waiting counts; True if anything the board shows changed."""
        changed = False
        for line in self.queue:
            o = overview.get(line.code)
            if o is None:
                continue
            new = (o.get("waiting", 0), o.get("wait_min", 0), o.get("wait_max", 0))
            if new != (line.waiting, line.wait_min, line.wait_max):
                line.waiting, line.wait_min, line.wait_max = new
                changed = True
        return changed

    def set_clock(self, date_text: str, clock_text: str) -> bool:
        changed = (date_text, clock_text) != (self.date_text, self.clock_text)
        self.date_text, self.clock_text = date_text, clock_text
        return changed

    # ---- notices -------------------------------------------------------------------------------------
    def apply(self, n: Notice) -> list[tuple[EventKind, dict[str, Any]]]:
        """The events a notice makes (none for notices the board does not show)."""
        kind = n.kind
        w = self.windows.get(n.window) if n.window is not None else None
        if kind is NoticeKind.CALLED and w is not None and n.number:
            colour = self.colour_of(n.number, n.service_code)
            stripe = self.stripe_of(colour)
            w.current, w.recall, w.colour, w.stripe = n.number, bool(n.recall), colour, stripe
            self.latest = [c for c in self.latest if c.number != n.number]
            mark = CallMark.RECALLED.value if n.recall else ""
            self.latest.insert(0, LatestCall(n.number, w.number, mark, colour, stripe))
            del self.latest[self.latest_limit :]
            call = {
                "number": n.number,
                "window": w.number,
                "service": n.service_code,
                "colour": colour,
                "stripe": stripe,
                "recall": bool(n.recall),
                "segments": segments_for(n.number, w.number, bool(n.recall)),
            }
            return [(EventKind.CALL, call)]
        if kind in WINDOW_FREED and w is not None:
            mark = ""
            if kind is NoticeKind.NO_SHOW and n.number:
                mark = CallMark.NO_SHOW.value
                for c in self.latest:
                    if c.number == n.number:
                        c.mark = mark
            if w.current is not None and (n.number is None or w.current == n.number):
                w.current, w.recall = None, False
            return [(EventKind.WINDOW, {**w.json(), "ended": n.number, "mark": mark})]
        if kind in (NoticeKind.PAUSED, NoticeKind.RESUMED) and w is not None:
            w.paused = kind is NoticeKind.PAUSED
            return [(EventKind.WINDOW, {**w.json(), "ended": None, "mark": ""})]
        return []

    def queue_event(self) -> tuple[EventKind, dict[str, Any]]:
        return EventKind.QUEUE, {"services": [q.json() for q in self.queue]}

    def clock_event(self) -> tuple[EventKind, dict[str, Any]]:
        return EventKind.CLOCK, {"date": self.date_text, "time": self.clock_text}

    def snapshot(self) -> dict[str, Any]:
        return {
            "hall": self.config.name,
            "hotline": self.config.hotline,
            "date": self.date_text,
            "time": self.clock_text,
            "windows": [w.json() for w in self.windows.values()],
            "latest": [c.json() for c in self.latest],
            "services": [q.json() for q in self.queue],
            "ticker": self.ticker,
            "voice": self.voice_on_board,
        }


def clock_texts(local_now: dt.datetime) -> tuple[str, str]:
    return date_text(local_now), f"{local_now:%H:%M}"
