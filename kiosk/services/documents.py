"""Build the printer's documents from the engine's records and the hall config."""

from __future__ import annotations

import datetime as dt

from drivers.printer.documents import DaySlipDoc, GuideDoc, Material, TicketDoc
from kiosk.config.schema import HallConfig
from kiosk.engine.clock import local
from kiosk.engine.issuing import IssuedTicket
from kiosk.engine.ratings import LEVEL_LABELS
from sync.contract.figures import DaySummary, Figures


def ticket_qr_text(config: HallConfig, t: IssuedTicket) -> str:
    """What the ticket's QR code carries: plain Chinese a resident's phone shows as it is (hall, number,
    service, time, windows) — until the centre offers a page for a ticket, a link would lead nowhere.
    Kept short so the code stays small enough for 58 mm paper."""
    windows = "、".join(str(w) for w in t.windows) + " 号窗口" if t.windows else "服务窗口"
    return "\n".join(
        [
            config.name,
            f"号码：{t.number}",
            f"业务：{t.service_name}",
            f"取号：{local(t.issued_at, config.timezone):%Y-%m-%d %H:%M}",
            f"窗口：{windows}",
        ]
    )


def ticket_doc(config: HallConfig, t: IssuedTicket, *, reprint: bool = False) -> TicketDoc:
    return TicketDoc(
        hall_name=config.name,
        service_name=t.service_name,
        number=t.number,
        priority_label=t.priority_label,
        windows=tuple(t.windows),
        people_ahead=t.people_ahead,
        wait_min_minutes=t.wait_min_minutes,
        wait_max_minutes=t.wait_max_minutes,
        issued_at_local=local(t.issued_at, config.timezone),
        promised_days=t.promised_days,
        missed_call_rule=config.queue.missed_call_rule,
        hotline=config.hotline,
        qr_payload=ticket_qr_text(config, t),
        ticket_id=t.id,
        reprint=reprint,
        timezone=config.timezone,
    )


def guide_doc(
    config: HallConfig,
    service_code: str,
    now: dt.datetime,
    missing: list[str] | None = None,
    window: int | None = None,
) -> GuideDoc:
    svc = config.service(service_code)
    g = svc.guide
    return GuideDoc(
        hall_name=config.name,
        service_name=svc.name,
        materials=tuple(
            Material(name=m.name + (f"（{m.note}）" if m.note else ""), form=m.form, quantity=m.quantity)
            for m in g.materials
        ),
        process=tuple(g.process),
        promised_days=g.promised_days,
        legal_days=g.legal_days,
        fee=g.fee,
        legal_basis="；".join(g.legal_basis),
        printed_at_local=local(now, config.timezone),
        missing=tuple(
            m.name + (f"（{m.note}）" if m.note else "") for m in g.materials if m.name in (missing or [])
        ),
        window_number=window,
        timezone=config.timezone,
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} 分钟"


def _figure_rows(f: Figures) -> list[tuple[str, str]]:
    return [
        ("办结", str(f.finished)),
        ("过号", str(f.no_show)),
        ("平均等候", _minutes(f.wait_mean_s)),
        ("平均办理", _minutes(f.service_mean_s)),
        ("评价率", _pct(f.evaluation_rate)),
        ("满意率", _pct(f.satisfaction_rate)),
    ]


def day_slip_doc(config: HallConfig, summary: DaySummary, now: dt.datetime) -> DaySlipDoc:
    h = summary.hall
    rows: list[tuple[str, str]] = [
        ("全中心", ""),
        ("取号", str(h.issued)),
        ("办结", str(h.finished)),
        ("过号", str(h.no_show)),
        ("日结清除", str(h.removed)),
        ("平均等候", _minutes(h.wait_mean_s)),
        ("P90 等候", _minutes(h.wait_p90_s)),
        ("平均办理", _minutes(h.service_mean_s)),
        ("评价率", _pct(h.evaluation_rate)),
        ("满意率", _pct(h.satisfaction_rate)),
        ("差评", str(h.dissatisfied)),
        ("待回访", str(summary.followups_open)),
        ("逾期回访", str(summary.followups_overdue)),
        ("逾期承诺件", str(summary.promised_overdue)),
        ("打印失败", str(h.print_failures)),
    ]
    for number, f in sorted(summary.windows.items()):
        rows.append((f"{number} 号窗口", ""))
        rows.extend(_figure_rows(f))
    if summary.dissatisfied:
        rows.append(("差评明细（须回访）", ""))
        for d in summary.dissatisfied:
            rows.append((f"{d['number']} {d['window']}号窗口", LEVEL_LABELS.get(d["level"], "")))
    return DaySlipDoc(
        hall_name=config.name,
        business_date=summary.business_date,
        rows=tuple(rows),
        printed_at_local=local(now, config.timezone),
        timezone=config.timezone,
    )
