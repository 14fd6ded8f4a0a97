"""The three printouts: the queue ticket (号票), the 一次性告知单 and the 日结 slip.

The kiosk builds these frozen dataclasses from its engine; this module knows nothing of the engine.
``render(p, doc, target)`` writes a document on any python-escpos ``Escpos`` instance;
``document_bytes(doc, settings)`` returns the exact bytes the driver sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from escpos.escpos import Escpos
from escpos.printer import Dummy

from .encoding import columns as width
from .layout import Block, Feed, Qr, Rule, Target, Text, emit
from .settings import PrinterSettings

HALL_TZ = ZoneInfo("Asia/Shanghai")


def local(dt: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """The hall's wall-clock time of an aware datetime."""
    return dt.astimezone(ZoneInfo(tz))


def _require_aware(**stamps: datetime | None) -> None:
    # A naive datetime is ambiguous (SQLite hands back naive UTC): printing it as local time would put
    # a time eight hours off on the resident's only proof of their place, so refuse it outright.
    for name, value in stamps.items():
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")


@dataclass(frozen=True)
class TicketDoc:
    """The resident's queue ticket: their only proof of their place. No name, phone or ID (PIPL Art. 6)."""

    hall_name: str
    service_name: str
    number: str
    priority_label: str | None
    windows: tuple[int, ...]
    people_ahead: int
    wait_min_minutes: int
    wait_max_minutes: int
    issued_at_local: datetime
    promised_days: int
    missed_call_rule: str
    hotline: str
    qr_payload: str
    reprint: bool = False
    timezone: str = "Asia/Shanghai"
    """The hall's timezone (``HallConfig.timezone``): times print as its wall clock."""
    ticket_id: str = ""
    """The ticket's identity (the kiosk's ticket id); the QR payload when empty."""

    def __post_init__(self) -> None:
        _require_aware(issued_at_local=self.issued_at_local)

    @property
    def key(self) -> str:
        """Identity of the printout: a second request with the same key is the same ticket."""
        return f"ticket:{self.ticket_id or self.qr_payload}:{'reprint' if self.reprint else 'first'}"


@dataclass(frozen=True)
class Material:
    name: str
    form: str = ""
    """原件 / 复印件 / 原件及复印件, or empty."""
    quantity: int = 1
    unit: str = "份"
    note: str = ""
    """e.g. 为家庭成员代缴时提供; printed after the quantity."""


@dataclass(frozen=True)
class GuideDoc:
    """一次性告知单: the whole 办事指南 of one service, and — at a window — exactly what is missing."""

    hall_name: str
    service_name: str
    materials: tuple[Material, ...]
    process: tuple[str, ...]
    promised_days: int
    legal_days: int
    fee: str
    legal_basis: str | tuple[str, ...]
    """One text, or several titles (《…》) printed one after another."""
    printed_at_local: datetime
    missing: tuple[str, ...] = ()
    window_number: int | None = None
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        _require_aware(printed_at_local=self.printed_at_local)

    @property
    def key(self) -> str:
        missing = ",".join(self.missing)
        return f"guide:{self.service_name}:{self.printed_at_local.isoformat()}:{self.window_number}:{missing}"


@dataclass(frozen=True)
class DaySlipDoc:
    """日结 slip for staff. Rows are (label, value); a row with an empty value is a heading."""

    hall_name: str
    business_date: date
    rows: tuple[tuple[str, str], ...]
    printed_at_local: datetime | None = None
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        _require_aware(printed_at_local=self.printed_at_local)

    @property
    def key(self) -> str:
        return f"dayslip:{self.business_date.isoformat()}:{self.printed_at_local}"


Doc = TicketDoc | GuideDoc | DaySlipDoc


def _windows(windows: tuple[int, ...]) -> str:
    if not windows:
        return "请留意叫号屏和广播"
    return f"请到 {'、'.join(str(w) for w in windows)} 号窗口等候叫号"


def _ahead(doc: TicketDoc) -> str:
    if doc.people_ahead <= 0:
        return "您前面没有人在等候"
    wait = ""
    if doc.wait_max_minutes > 0:
        wait = f"，预计等候 {doc.wait_min_minutes}～{doc.wait_max_minutes} 分钟"
    return f"您前面还有 {doc.people_ahead} 人{wait}"


def _promise(days: int) -> str:
    return "即办件，当场办结" if days <= 0 else f"{days} 个工作日"


def ticket_blocks(doc: TicketDoc) -> list[Block]:
    blocks: list[Block] = [
        Text(doc.hall_name, "center"),
        Text(doc.service_name, "center", bold=True),
        Text(doc.number, "center", scale=4, bold=True),
    ]
    if doc.reprint:
        blocks.append(Text("【补打】", "center", bold=True))
    if doc.priority_label:
        blocks.append(Text(f"优先：{doc.priority_label}", "center", bold=True))
    blocks += [
        Text(_windows(doc.windows), "center", bold=True),
        Text(_ahead(doc), "center"),
        Text(f"取号时间：{local(doc.issued_at_local, doc.timezone):%Y-%m-%d %H:%M}"),
        Text(f"承诺时限：{_promise(doc.promised_days)}"),
        Text(doc.missed_call_rule),
        Text(f"监督电话：{doc.hotline}"),
        Qr(doc.qr_payload),
        Text("办完后欢迎在窗口评价器上为我们的服务评价", "center"),
    ]
    return blocks


def _material(i: int, m: Material, missing: bool) -> str:
    form = f"（{m.form}）" if m.form else " "
    note = f"，{m.note}" if m.note else ""
    mark = "  ★缺" if missing else ""
    return f"{i}. {m.name}{form}{m.quantity} {m.unit}{note}{mark}"


def _basis(basis: str | tuple[str, ...]) -> str:
    return basis if isinstance(basis, str) else "".join(basis)


def guide_blocks(doc: GuideDoc) -> list[Block]:
    missing = set(doc.missing)
    blocks: list[Block] = [
        Text("一次性告知单", "center", scale=2, bold=True),
        Text(doc.hall_name, "center"),
        Rule(),
        Text(f"办理事项：{doc.service_name}", bold=True),
        Text("所需材料：", bold=True),
        *(Text(_material(i, m, m.name in missing)) for i, m in enumerate(doc.materials, 1)),
        Text("办理流程：", bold=True),
        *(Text(f"{i}. {step}") for i, step in enumerate(doc.process, 1)),
        Text(f"承诺时限：{_promise(doc.promised_days)}（法定时限 {doc.legal_days} 个工作日）"),
        Text(f"收费标准：{doc.fee}"),
        Text(f"办理依据：{_basis(doc.legal_basis)}"),
    ]
    if doc.missing:
        by_name = {m.name: m for m in doc.materials}
        blocks += [Rule(), Text("经核对，您本次还缺以下材料：", bold=True)]
        for i, name in enumerate(doc.missing, 1):
            m = by_name.get(name)
            blocks.append(Text(_material(i, m, False) if m else f"{i}. {name}", bold=True))
        blocks.append(Text("请补齐以上材料后再来办理，其余材料无需重复准备。"))
    blocks.append(Rule())
    if doc.window_number is not None:
        blocks.append(Text(f"告知窗口：{doc.window_number} 号窗口"))
    blocks.append(Text(f"告知时间：{local(doc.printed_at_local, doc.timezone):%Y-%m-%d %H:%M}"))
    return blocks


def _row(label: str, value: str, columns: int) -> list[Block]:
    gap = columns - width(label) - width(value)
    if gap >= 1:
        return [Text(label + " " * gap + value)]
    return [Text(label), Text(value, "right")]


def day_slip_blocks(doc: DaySlipDoc, columns: int) -> list[Block]:
    blocks: list[Block] = [
        Text("日结单", "center", scale=2, bold=True),
        Text(doc.hall_name, "center"),
        Text(f"业务日期：{doc.business_date:%Y-%m-%d}"),
        Rule(),
    ]
    for label, value in doc.rows:
        blocks += _row(label, value, columns) if value else [Text(label, bold=True)]
    blocks += [Rule()]
    if doc.printed_at_local is not None:
        blocks.append(Text(f"打印时间：{local(doc.printed_at_local, doc.timezone):%Y-%m-%d %H:%M}"))
    blocks += [Feed(1), Text("核对人签字：")]
    return blocks


def blocks_for(doc: Doc, target: Target) -> list[Block]:
    if isinstance(doc, TicketDoc):
        return ticket_blocks(doc)
    if isinstance(doc, GuideDoc):
        return guide_blocks(doc)
    return day_slip_blocks(doc, target.columns)


def target_for(settings: PrinterSettings) -> Target:
    return Target(settings.columns, settings.dots, settings.chinese, settings.font_charset)


def render(p: Escpos, doc: Doc, target: Target) -> None:
    """Write ``doc`` on ``p`` as one complete job: ``ESC @``, ``FS &``, the document, feed, cut."""
    emit(p, blocks_for(doc, target), target)


def document_bytes(doc: Doc, settings: PrinterSettings) -> bytes:
    """The exact bytes the driver sends for ``doc`` with these settings."""
    d = Dummy(profile=settings.profile)
    render(d, doc, target_for(settings))
    return d.output


__all__ = [
    "DaySlipDoc",
    "Doc",
    "GuideDoc",
    "Material",
    "TicketDoc",
    "document_bytes",
    "render",
    "target_for",
]
