"""People ahead and the wait estimate shown on the ticket and the home screen.

The estimate is deliberately a range: rolling mean service time of the service's last finished
handlings today (or the configured default) × people ahead ÷ open windows serving it, ±30 %.
"""

from __future__ import annotations

import math
import statistics

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.clock import as_utc
from kiosk.engine.context import Context
from kiosk.engine.rows import regular_calls_since_priority
from sync.contract.enums import FINISHED_OUTCOMES, TicketStatus, WindowStatus

_ROLLING = 20


def people_ahead(s: Session, ctx: Context, ticket: m.Ticket) -> int:
    """Waiting tickets of the same service that will be called first: the windows' pick order
    (`calling.pick_next`: priority policy, then arrival) replayed over today's queue, starting
    from the regular calls made since the last priority call, so the ticket says what happens."""
    if ticket.status != TicketStatus.WAITING:  # called, held or done: nobody is ahead any more
        return 0
    rows = s.execute(
        select(m.Ticket.id, m.Ticket.priority, m.Ticket.queue_order)
        .where(
            m.Ticket.business_date == ticket.business_date,
            m.Ticket.service_code == ticket.service_code,
            m.Ticket.status == TicketStatus.WAITING,
            m.Ticket.id != ticket.id,
        )
        .order_by(m.Ticket.queue_order)
    ).all()
    queue = sorted(
        [*((r[0], r[1], r[2]) for r in rows), (ticket.id, ticket.priority, ticket.queue_order)],
        key=lambda r: r[2],
    )
    prio = [r[0] for r in queue if r[1] is not None]
    regular = [r[0] for r in queue if r[1] is None]
    policy = ctx.config.priority
    since_priority = regular_calls_since_priority(s, ctx, ticket.service_code)
    ahead = pi = ri = 0
    while pi < len(prio) or ri < len(regular):
        take_prio = pi < len(prio) and (
            ri >= len(regular) or policy.mode == "first" or since_priority >= policy.regular_per_priority
        )
        if take_prio:
            nxt, pi, since_priority = prio[pi], pi + 1, 0
        else:
            nxt, ri, since_priority = regular[ri], ri + 1, since_priority + 1
        if nxt == ticket.id:
            return ahead
        ahead += 1
    return ahead


def mean_service_minutes(s: Session, ctx: Context, service_code: str) -> float:
    rows = s.execute(
        select(m.Handling.called_at, m.Handling.started_at, m.Handling.finished_at)
        .where(
            m.Handling.business_date == ctx.today(),
            m.Handling.service_code == service_code,
            m.Handling.finished_at.is_not(None),
            m.Handling.outcome.in_(FINISHED_OUTCOMES),
        )
        .order_by(m.Handling.finished_at.desc())
        .limit(_ROLLING)
    ).all()
    durations = [
        (as_utc(fin) - as_utc(start or called)).total_seconds() / 60
        for called, start, fin in rows
        if fin is not None
    ]
    if len(durations) < 3:
        return ctx.service(service_code).default_service_minutes
    return max(0.5, statistics.fmean(durations))


def open_windows_for(s: Session, ctx: Context, service_code: str) -> int:
    numbers = ctx.config.windows_for(service_code)
    paused = set(
        s.scalars(
            select(m.WindowState.number).where(
                m.WindowState.number.in_(numbers), m.WindowState.status == WindowStatus.PAUSED
            )
        )
    )
    return max(1, len([n for n in numbers if n not in paused]))


def wait_range_minutes(s: Session, ctx: Context, service_code: str, ahead: int) -> tuple[int, int]:
    if ahead == 0:
        return (0, 5)
    centre = mean_service_minutes(s, ctx, service_code) * ahead / open_windows_for(s, ctx, service_code)
    low = int(5 * math.floor(centre * 0.7 / 5))
    high = int(5 * math.ceil(centre * 1.3 / 5))
    return (low, max(high, low + 5))
