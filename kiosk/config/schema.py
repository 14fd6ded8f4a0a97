"""The hall configuration: one YAML file, validated here.

Every field carries a docstring because this file is the installer's reference: `kiosk-admin
check-config` quotes these models' field names in its messages.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from drivers.keypad.settings import KeypadBinding, KeypadBusSettings
from drivers.printer.settings import PrinterSettings
from sync.client.settings import SyncSettings


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt key silently ignored is a setting the hall thinks it has.
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpeningSession(_Strict):
    """One opening period of the day, local time (e.g. 09:00–12:00)."""

    start: dt.time
    """When the hall opens for this session (HH:MM, hall timezone)."""
    end: dt.time
    """When the session ends (HH:MM); issuing stops `issue_cutoff_minutes` earlier."""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _yaml_base_60(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 14:00 as the base-60 integer 840, which pydantic would take as
        # seconds (00:14:00 UTC). Read it as the HH:MM it was written as, like crossref does.
        if isinstance(value, int) and not isinstance(value, bool):
            if 0 <= value < 24 * 60:
                return dt.time(value // 60, value % 60)
            raise ValueError('write times as HH:MM, e.g. "09:00"')
        return value

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: dt.time) -> dt.time:
        # Sessions are wall-clock times in the hall's timezone; an aware time would not compare.
        if value.tzinfo is not None:
            raise ValueError("write the local time without a zone, e.g. 09:00 (the hall's timezone applies)")
        return value


class Material(_Strict):
    """One required material in a service guide (办事指南)."""

    name: str = Field(min_length=1)
    """What to bring, e.g. 身份证."""
    form: Literal["原件", "复印件", "原件及复印件", "电子材料"] = "原件"
    """Original, copy, both, or an electronic file."""
    quantity: int = Field(default=1, ge=1, le=20)
    """How many (copies/photos)."""
    note: str = ""
    """Extra detail told at once (一次性告知), e.g. 近期免冠."""


class Guide(_Strict):
    """The structured 办事指南 of a service, printed as the 一次性告知单."""

    materials: list[Material] = Field(default_factory=list)
    """Every material a resident must bring, so nobody comes twice for a missing paper."""
    process: list[str] = Field(default_factory=list)
    """Process steps in order."""
    promised_days: int = Field(default=0, ge=0, le=365)
    """Promised time limit in working days (0 = 即办件, done on the spot)."""
    legal_days: int = Field(default=0, ge=0, le=365)
    """The legal time limit in working days; must not be shorter than the promise."""
    fee: str = "不收费"
    """Fee, in words."""
    legal_basis: list[str] = Field(default_factory=list)
    """Laws and regulations the service rests on."""


class Service(_Strict):
    """A service item residents can take a number for."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    """Stable identifier used in records and sync (lowercase, e.g. pension_enrol)."""
    name: str = Field(min_length=1, max_length=40)
    """The name residents see, e.g. 城乡居民养老保险参保登记."""
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    """The ticket number's letter (A → A001), or two letters in a hall with more than 26 services
    (SA → SA001); unique per hall."""
    category: str = Field(min_length=1)
    """Grouping on the home screen, e.g. 社保医保."""
    daily_cap: int = Field(default=200, ge=1, le=999)
    """Tickets per business day; numbers have three digits."""
    default_service_minutes: float = Field(default=8.0, gt=0, le=240)
    """Assumed handling time before the day has real data, for the wait estimate."""
    guide: Guide = Field(default_factory=Guide)
    """The 办事指南."""
    icon: str = ""
    """A picture on this service's button: a shipped icon name (see `home.categories[].icon`) or a
    PNG file (white on transparent, relative to this config file's folder); empty = the button
    shows only its category's colour, the category's picture being on its heading."""

    @field_validator("icon")
    @classmethod
    def _known_icon(cls, value: str) -> str:
        return known_icon(value)


class KeypadRef(_Strict):
    """Where a window's 呼叫评价器 sits."""

    bus: str
    """Name of a bus under devices.keypad_buses."""
    address: int = Field(ge=1, le=247)
    """The device address set on the keypad (DIP switch or menu)."""


class Window(_Strict):
    """A service window (窗口)."""

    number: int = Field(ge=1, le=99)
    """The number on the window, called aloud."""
    name: str = ""
    """Label, e.g. 社保医保窗口."""
    services: list[str] = Field(min_length=1)
    """Service codes this window handles, in the order it serves them."""
    keypad: KeypadRef | None = None
    """The window's keypad; omit for a window run with the staff screen's software caller."""


class RatingScale(_Strict):
    """The 好差评 scale. Levels are the national five: 1 非常满意 … 5 非常不满意."""

    satisfied_levels: list[int] = Field(default_factory=lambda: [1, 2, 3])
    """Levels counted as satisfied for 满意率 (a policy choice; default 非常满意/满意/基本满意)."""
    dissatisfied_levels: list[int] = Field(default_factory=lambda: [4, 5])
    """Levels that count as 差评 and open a 回访 and a rectification."""
    keypad_keys: dict[int, int] = Field(default_factory=lambda: {0: 1, 1: 2, 2: 3, 3: 4, 4: 5})
    """Keypad key index → level. A 4-key pad is {0: 1, 1: 2, 2: 3, 3: 4}."""
    timeout_seconds: int = Field(default=60, ge=5, le=600)
    """How long the rating slot stays open before it ends as 未评价."""
    callback_working_days: int = Field(default=1, ge=0, le=10)
    """Working days to call back a dissatisfied resident (回访)."""
    rectify_working_days: int = Field(default=15, ge=1, le=60)
    """Working days to rectify (整改)."""

    @field_validator("satisfied_levels", "dissatisfied_levels")
    @classmethod
    def _levels_exist(cls, levels: list[int]) -> list[int]:
        bad = [lv for lv in levels if lv not in (1, 2, 3, 4, 5)]
        if bad:
            raise ValueError(f"levels are 1 (非常满意) to 5 (非常不满意), got {bad}")
        return levels


class PriorityCategory(_Strict):
    """A 绿色通道 category, e.g. 70 岁以上老人."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    """Identifier stored on the ticket (no personal data, just the category)."""
    label: str
    """What the button and ticket say, e.g. 老年人."""


class PriorityPolicy(_Strict):
    """How priority tickets are called."""

    categories: list[PriorityCategory] = Field(default_factory=list)
    """Who may use the green channel."""
    mode: Literal["interleave", "first"] = "interleave"
    """`first`: priority always before regular; `interleave`: one priority after every N regular."""
    regular_per_priority: int = Field(default=2, ge=1, le=20)
    """N for interleave mode."""


class QueueRules(_Strict):
    """Calling rules, also printed on the ticket."""

    recall_limit: int = Field(default=3, ge=0, le=10)
    """How many times a ticket may be recalled (重呼)."""
    no_show_requeue_behind: int = Field(default=3, ge=0, le=50)
    """A no-show put back waits behind this many others."""
    aging_minutes: int = Field(default=30, ge=0, le=480)
    """A ticket that has waited this long is called by the next window serving it before that
    window's preferred services (0 = strict service order, which can starve services listed last)."""
    missed_call_rule: str = "过号请到服务台重新排队，或向工作人员说明"
    """The missed-call rule printed on the ticket."""


class Devices(_Strict):
    """Printer and keypad buses."""

    printer: PrinterSettings = Field(default_factory=PrinterSettings)
    """The ticket printer."""
    keypad_buses: list[KeypadBusSettings] = Field(default_factory=list)
    """Serial buses carrying window keypads."""
    printer_required: bool = False
    """If true the kiosk shows 暂停服务 while the printer is gone; if false it issues on screen."""


class RosterEntry(_Strict):
    """One staff member who may sign in at a window (工号, name, their own PIN's hash)."""

    staff_id: str = Field(pattern=r"^[A-Za-z0-9-]{1,16}$")
    """The 工号, as the street knows the staff member."""
    name: str = Field(min_length=1, max_length=20)
    """Their name, as the staff screen and the street's pages show it (工号 and name are all that leave
    the hall)."""
    pin_hash: str = Field(pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]+$")
    """PBKDF2 hash of the staff member's own PIN (`kiosk-admin hash-pin`)."""


class Staff(_Strict):
    """Staff access to the kiosk's staff screen."""

    pin_hash: str = Field(pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]+$")
    """PBKDF2 hash of the staff PIN, made by `kiosk-admin hash-pin`; never the PIN itself."""
    roster: list[RosterEntry] = Field(default_factory=list)
    """Who may sign in at a window (签到): calls, handlings and ratings then record their 工号."""

    @field_validator("roster")
    @classmethod
    def _unique_ids(cls, roster: list[RosterEntry]) -> list[RosterEntry]:
        ids = [r.staff_id for r in roster]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"工号 listed twice in the roster: {', '.join(twice)}")
        return roster


class Calendar(_Strict):
    """Corrections to the built-in Chinese statutory calendar."""

    extra_holidays: list[dt.date] = Field(default_factory=list)
    """Days off the built-in calendar does not know (e.g. next year's 国务院 notice)."""
    extra_workdays: list[dt.date] = Field(default_factory=list)
    """Make-up workdays (调休) the built-in calendar does not know."""


class BoardSettings(_Strict):
    """The hall call board (综合屏) and window screens (窗口屏), served by the kiosk on the hall's LAN.

    Web pages for a TV on the wall and small monitors above the windows; see docs/board.md."""

    enabled: bool = True
    """Serve the pages; false keeps the section but turns the server (and the banner-only kiosk) off."""
    host: str = "0.0.0.0"
    """Address to listen on: 0.0.0.0 for every network of the kiosk, or the kiosk's LAN address."""
    port: int = Field(default=8765, ge=0, le=65535)
    """TCP port of the pages (0: any free port, printed in the log; for tests only)."""
    token: str | None = Field(default=None, min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_.~-]+$")
    """Optional LAN token: when set, the pages open only as http://KIOSK:PORT/board?token=TOKEN."""
    voice: Literal["kiosk", "board", "both"] = "board"
    """Which device speaks the calls: the kiosk's speaker, the board's (the TV), or both."""
    kiosk_calls: Literal["banner", "full"] = "banner"
    """How the entrance kiosk shows a call while a board is on: only its small banner, or as without a board."""
    ticker: list[str] = Field(default_factory=list, max_length=20)
    """Notices along the foot of the board, e.g. 办理社保业务请携带身份证原件: one at a time, standing still, 8 s
    each; one too long for the line is shown in parts, 8 s each."""
    latest_calls: int = Field(default=8, ge=1, le=20)
    """How many of the latest calls the board lists."""
    highlight_seconds: float = Field(default=6.0, ge=2, le=30)
    """How long a new call stays highlighted on the board (longer if its announcement lasts longer)."""
    heartbeat_seconds: float = Field(default=10.0, ge=1, le=60)
    """How often the kiosk tells the pages it is alive; a page silent for 2.5× this shows 连接中断."""

    @field_validator("host")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError("write an IP address, e.g. 0.0.0.0 (all networks) or 192.168.1.10") from None
        return value

    @field_validator("ticker")
    @classmethod
    def _ticker_lines(cls, lines: list[str]) -> list[str]:
        for line in lines:
            if not line.strip() or len(line) > 200:
                raise ValueError("each ticker notice is one line of 1 to 200 characters")
        return lines


SHIPPED_ICONS = (
    "social_insurance", "civil_affairs", "health", "disability", "household", "general",
    "party_veterans", "employment", "elderly", "legal", "consult", "generic",
)  # fmt: skip
"""The icons drawn for this product (assets/icons/, sources in assets/icons/src/)."""


def known_icon(value: str) -> str:
    """A shipped icon's name or a .png file name (the loader checks that the file is there)."""
    if value and value not in SHIPPED_ICONS and not value.lower().endswith(".png"):
        raise ValueError(f"unknown icon '{value}'; shipped: {', '.join(SHIPPED_ICONS)}, or a .png file")
    return value


def _relative_luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def hex_contrast(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio (1–21) of two #RRGGBB colours."""
    a, b = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def white_text_contrast(hex_colour: str) -> float:
    """WCAG 2.x contrast ratio of white text on this #RRGGBB colour."""
    return hex_contrast("#FFFFFF", hex_colour)


class CategoryLook(_Strict):
    """How one category looks on the home screen, the ticket screen and the call board."""

    name: str = Field(min_length=1)
    """The category exactly as written in `services[].category`, e.g. 社保医保."""
    icon: str = ""
    """Its picture: a PNG file beside the config (white on transparent) or one of the shipped icons (social_insurance 社保医保, civil_affairs 民政救助, health
    卫健计生, disability 残联, household 户籍, general 综合受理, party_veterans 党群与退役军人服务,
    employment 就业创业, elderly 养老服务, legal 法律服务, consult 咨询, generic). Empty = the shipped
    icon for the usual name, else generic."""
    colour: str = Field(default="", pattern=r"^(#[0-9A-Fa-f]{6})?$")
    """Its colour as #RRGGBB, used on its buttons (white text), its heading and the ticket. Must be
    dark enough for white text (contrast at least 4.5:1, WCAG AA). Empty = the shipped colour."""

    @field_validator("icon")
    @classmethod
    def _known_icon(cls, value: str) -> str:
        return known_icon(value)

    @field_validator("colour")
    @classmethod
    def _readable(cls, value: str) -> str:
        if value and white_text_contrast(value) < 4.5:
            ratio = white_text_contrast(value)
            raise ValueError(
                f"white text on {value} has contrast {ratio:.1f}:1, below 4.5:1; use a darker colour"
            )
        return value


class FirstAsk(_Strict):
    """首问责任制 on the home screen: 「不知道办什么？」 issues a 咨询 ticket, and the first person asked
    takes the matter on (transferring it to the right service keeps its place in the queue)."""

    service: str
    """Code of the 咨询 service (an entry of `services`, kept off the category list); the windows
    listing it take these tickets."""
    window: int | None = None
    """The 首问窗口 (informational on the ticket screen); it must list the 咨询 service. Omit when
    any window listing the service takes them."""
    label: str = "不知道办什么？"
    """The button's words."""


class HomeSettings(_Strict):
    """The home screen's groups, pictures and the 首问 button."""

    layout: Literal["auto", "one_screen", "two_step"] = "auto"
    """`auto`: every service on the home screen when they fit at a readable size, otherwise first
    the categories, then a category's services (with 返回); `one_screen` scrolls instead;
    `two_step` always goes by category."""
    categories: list[CategoryLook] = Field(default_factory=list)
    """Pictures and colours per category; unlisted categories get the shipped look."""
    first_ask: FirstAsk | None = None
    """The 「不知道办什么？」 button; omit to have none."""


class HallConfig(_Strict):
    """One community hall."""

    hall_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,40}$")
    """Stable id the street centre knows the hall by."""
    name: str = Field(min_length=1)
    """E.g. 柏杨街道某社区便民服务中心."""
    street: str = ""
    """The street (街道) the hall belongs to."""
    timezone: Literal["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau"] = "Asia/Shanghai"
    """The hall's timezone; the business day is computed in it."""
    sessions: list[OpeningSession] = Field(min_length=1)
    """Opening periods of a working day."""
    issue_cutoff_minutes: int = Field(default=30, ge=0, le=180)
    """Issuing stops this many minutes before each session ends."""
    open_on_non_working_days: bool = False
    """Whether the hall opens on weekends and holidays."""
    hotline: str = ""
    """The supervision/complaint hotline posted in the hall (监督电话)."""
    services: list[Service] = Field(min_length=1)
    """Service items."""
    windows: list[Window] = Field(min_length=1)
    """Service windows."""
    rating: RatingScale = Field(default_factory=RatingScale)
    """The 好差评 scale and follow-up deadlines."""
    priority: PriorityPolicy = Field(default_factory=PriorityPolicy)
    """Green channel policy."""
    queue: QueueRules = Field(default_factory=QueueRules)
    """Calling rules."""
    devices: Devices = Field(default_factory=Devices)
    """Printer and keypads."""
    sync: SyncSettings | None = None
    """Sync to the street centre; omit to run stand-alone."""
    staff: Staff
    """Staff screen access."""
    calendar: Calendar = Field(default_factory=Calendar)
    """Calendar corrections."""
    board: BoardSettings | None = None
    """The hall call board and window screens; omit when the hall has none (calls show on the kiosk)."""
    home: HomeSettings = Field(default_factory=HomeSettings)
    """The home screen: category pictures and colours, layout, the 首问 button."""

    # ---- lookups used everywhere -------------------------------------------------
    def service(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise KeyError(code)

    def window(self, number: int) -> Window:
        for w in self.windows:
            if w.number == number:
                return w
        raise KeyError(number)

    def windows_for(self, service_code: str) -> list[int]:
        return [w.number for w in self.windows if service_code in w.services]

    def keypad_buses(self) -> list[KeypadBusSettings]:
        """Bus settings with each bus's keypads filled in from `windows[].keypad`."""
        out = []
        for bus in self.devices.keypad_buses:
            bindings = [
                KeypadBinding(address=w.keypad.address, window=w.number)
                for w in self.windows
                if w.keypad is not None and w.keypad.bus == bus.name
            ]
            out.append(bus.model_copy(update={"keypads": bindings}))
        return out

    def priority_label(self, code: str | None) -> str | None:
        if code is None:
            return None
        for c in self.priority.categories:
            if c.code == code:
                return c.label
        raise KeyError(code)


PIN_HASH_RE = re.compile(r"^pbkdf2_sha256\$(\d+)\$([0-9a-f]+)\$([0-9a-f]+)$")
