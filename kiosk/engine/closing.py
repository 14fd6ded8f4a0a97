"""Close of day (日结): tickets still waiting end as removed-by-close, open slots end as 未评价.
History is kept; numbering restarts by itself because numbers are unique per business date."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine import staffing
from kiosk.engine.context import Context
from kiosk.engine.day_records import load_day_records
from kiosk.engine.errors import DayAlreadyClosed, DomainError
from kiosk.engine.notices import Notice, NoticeKind
from kiosk.engine.rows import end_handling, window_state
from sync.contract.enums import OPEN_TICKET_STATUSES, FollowupStatus, Outcome, RatingStatus, TicketStatus
from sync.contract.figures import FIGURES_VERSION, compute_summary


def close_day(s: Session, ctx: Context, day: dt.date | None = None) -> int:
    """Close `day` (default today). Returns how many tickets were removed."""
    now = ctx.now()
    day = day or ctx.today(now)
    if day > ctx.today(now):
        raise DomainError("不能日结未来的日期")
    if s.get(m.DayClose, day) is not None:
        raise DayAlreadyClosed(f"{day} 已日结")
    removed = 0
    for w in ctx.config.windows:
        ws = window_state(s, ctx, w.number)
        h = s.get(m.Handling, ws.current_handling_id) if ws.current_handling_id else None
        if h is not None and h.business_date == day:
            end_handling(s, ctx, ws, h, Outcome.REMOVED_AT_CLOSE)
    open_tickets = s.scalars(
        select(m.Ticket)
        .where(m.Ticket.business_date == day, m.Ticket.status.in_(OPEN_TICKET_STATUSES))
        .order_by(m.Ticket.queue_order)
    )
    for t in open_tickets:
        t.status = TicketStatus.REMOVED
        t.held_by_window = None
        removed += 1
        h = s.scalar(
            select(m.Handling).where(
                m.Handling.ticket_id == t.id, m.Handling.outcome == Outcome.REMOVED_AT_CLOSE
            )
        )
        s.flush()
        payload = {"ticket": ctx.snap_ticket(t)}
        if h is not None:
            payload["handling"] = ctx.snap_handling(h)
        ctx.emit(s, "ticket.removed", now, **payload)
    for slot in s.scalars(
        select(m.Rating).where(m.Rating.business_date == day, m.Rating.status == RatingStatus.OPEN)
    ):
        slot.status = RatingStatus.UNRATED
        s.flush()
        ctx.emit(s, "rating.expired", now, rating=ctx.snap_rating(slot))
    staffing.end_all(s, ctx)
    s.add(m.DayClose(business_date=day, closed_at=now, removed=removed))
    s.flush()
    # The 日结 figures travel with the close so the centre can confirm its own match (核对一致).
    figures = compute_summary(load_day_records(s, day), ctx.hall_id, day).figures_dict()
    ctx.emit(
        s,
        "day.closed",
        now,
        day_close={
            "hall_id": ctx.hall_id,
            "business_date": day.isoformat(),
            "closed_at": now.isoformat(),
            "figures": json.loads(json.dumps(figures)),
            "figures_version": FIGURES_VERSION,
        },
    )
    ctx.notify(s, Notice(NoticeKind.CLOSED, detail={"business_date": day.isoformat(), "removed": removed}))
    return removed


def unclosed_past_days(s: Session, ctx: Context) -> list[dt.date]:
    """Days with tickets that were never closed (the kiosk was off at night)."""
    today = ctx.today()
    days = set(s.scalars(select(m.Ticket.business_date).where(m.Ticket.business_date < today).distinct()))
    closed = set(s.scalars(select(m.DayClose.business_date)))
    return sorted(days - closed)


def record_followup(s: Session, ctx: Context, followup_id: str, result: str) -> None:
    f = s.get(m.FollowUp, followup_id)
    if f is None:
        from kiosk.engine.errors import FollowUpNotFound

        raise FollowUpNotFound(f"没有这条回访任务：{followup_id}")
    now = ctx.now()
    f.status = FollowupStatus.DONE
    f.result = result
    f.done_at = now
    s.flush()
    ctx.emit(s, "followup.updated", now, followups=[ctx.snap_followup(f)])
