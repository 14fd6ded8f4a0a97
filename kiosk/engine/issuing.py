"""Issue a ticket (取号): number per prefix per business date, cap, hours, priority, estimate."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.availability import cap_reason, hall_state, issued_today
from kiosk.engine.clock import as_utc
from kiosk.engine.context import Context
from kiosk.engine.errors import DailyCapReached, HallClosed, UnknownPriority
from kiosk.engine.estimates import people_ahead, wait_range_minutes
from kiosk.engine.notices import Notice, NoticeKind
from sync.contract.enums import PRINTED_STATUSES, UNPRINTED_STATUSES, PrintStatus, TicketStatus


@dataclass(frozen=True)
class IssuedTicket:
    id: str
    number: str
    service_code: str
    service_name: str
    priority: str | None
    priority_label: str | None
    business_date: dt.date
    issued_at: dt.datetime
    people_ahead: int
    wait_min_minutes: int
    wait_max_minutes: int
    windows: list[int]
    promised_days: int
    created: bool  # False when a repeated request id returned the ticket already issued


def issue(
    s: Session,
    ctx: Context,
    service_code: str,
    priority: str | None = None,
    request_id: str | None = None,
) -> IssuedTicket:
    if request_id is not None:
        existing = s.scalar(select(m.Ticket).where(m.Ticket.request_id == request_id))
        if existing is not None:
            return describe(s, ctx, existing, created=False)
    service = ctx.service(service_code)
    if priority is not None and priority not in {c.code for c in ctx.config.priority.categories}:
        raise UnknownPriority(f"没有这类优先通道：{priority}")
    now = ctx.now()
    day = ctx.today(now)
    # The same checks, in the same order, as the home screen's availability (kiosk.engine.availability).
    state = hall_state(s, ctx, now)
    if not state.open:
        raise HallClosed(state.reason)
    seq_no = issued_today(s, day, service.prefix) + 1
    if seq_no > service.daily_cap:
        raise DailyCapReached(cap_reason(service))
    last_order = s.scalar(select(func.max(m.Ticket.queue_order)).where(m.Ticket.business_date == day))
    ticket = m.Ticket(
        id=str(uuid.uuid4()),
        hall_id=ctx.hall_id,
        business_date=day,
        number=f"{service.prefix}{seq_no:03d}",
        prefix=service.prefix,
        seq_no=seq_no,
        service_code=service.code,
        priority=priority,
        issued_at=now,
        queue_order=float(int(last_order or 0) + 1),
        status=TicketStatus.WAITING,
        print_status=PrintStatus.PENDING,
        reprints=0,
        request_id=request_id,
    )
    s.add(ticket)
    s.flush()
    ctx.emit(s, "ticket.issued", now, ticket=ctx.snap_ticket(ticket))
    ctx.notify(
        s, Notice(NoticeKind.ISSUED, number=ticket.number, ticket_id=ticket.id, service_code=service.code)
    )
    return describe(s, ctx, ticket, created=True)


def describe(s: Session, ctx: Context, ticket: m.Ticket, *, created: bool) -> IssuedTicket:
    service = ctx.service(ticket.service_code)
    ahead = people_ahead(s, ctx, ticket)
    low, high = wait_range_minutes(s, ctx, ticket.service_code, ahead)
    return IssuedTicket(
        id=ticket.id,
        number=ticket.number,
        service_code=service.code,
        service_name=service.name,
        priority=ticket.priority,
        priority_label=ctx.config.priority_label(ticket.priority),
        business_date=ticket.business_date,
        issued_at=as_utc(ticket.issued_at),
        people_ahead=ahead,
        wait_min_minutes=low,
        wait_max_minutes=high,
        windows=ctx.config.windows_for(service.code),
        promised_days=service.guide.promised_days,
        created=created,
    )


def record_print_result(
    s: Session,
    ctx: Context,
    ticket_id: str,
    status: PrintStatus | str,
    error: str | None = None,
    reprint: bool = False,
) -> None:
    """Record what the printer did with a ticket: printed, failed (with the fault) or on_screen."""
    if status not in PRINTED_STATUSES | UNPRINTED_STATUSES:
        raise ValueError(status)
    ticket = s.get(m.Ticket, ticket_id)
    if ticket is None:
        raise KeyError(ticket_id)
    ticket.print_status = status
    ticket.print_error = error
    if reprint:
        ticket.reprints += 1
    s.flush()
    ctx.emit(s, "ticket.print_result", ctx.now(), ticket=ctx.snap_ticket(ticket))
