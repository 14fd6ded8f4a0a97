"""Row helpers the window operations share: a window's state and current handling, ending a handling,
a window's open rating slot, a new follow-up, the priority interleave count.

One module below calling, finishing, ratings, closing and estimates, so none of them imports another
for a helper (the engine's modules form no import cycle).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.context import Context
from kiosk.engine.errors import WindowIdle
from sync.contract.enums import FollowupKind, FollowupStatus, Outcome, RatingStatus, WindowStatus


def window_state(s: Session, ctx: Context, number: int) -> m.WindowState:
    ctx.check_window(number)
    ws = s.get(m.WindowState, number)
    if ws is None:
        ws = m.WindowState(
            number=number, status=WindowStatus.OPEN, current_handling_id=None, updated_at=ctx.now()
        )
        s.add(ws)
        s.flush()
    return ws


def current_handling(s: Session, ws: m.WindowState) -> m.Handling | None:
    if ws.current_handling_id is None:
        return None
    return s.get(m.Handling, ws.current_handling_id)


def require_current(s: Session, ctx: Context, window: int) -> tuple[m.WindowState, m.Handling, m.Ticket]:
    ws = window_state(s, ctx, window)
    h = current_handling(s, ws)
    if h is None:
        raise WindowIdle(f"{window} 号窗口当前没有正在办理的号")
    t = s.get(m.Ticket, h.ticket_id)
    assert t is not None
    return ws, h, t


def end_handling(s: Session, ctx: Context, ws: m.WindowState, h: m.Handling, outcome: Outcome) -> None:
    now = ctx.now()
    h.outcome = outcome
    h.finished_at = now
    ws.current_handling_id = None
    ws.updated_at = now


def regular_calls_since_priority(s: Session, ctx: Context, service_code: str) -> int:
    recent = s.scalars(
        select(m.Handling.priority_call)
        .where(m.Handling.business_date == ctx.today(), m.Handling.service_code == service_code)
        .order_by(m.Handling.called_at.desc())
        .limit(50)
    )
    count = 0
    for was_priority in recent:
        if was_priority:
            break
        count += 1
    return count


def open_slot(s: Session, window: int) -> m.Rating | None:
    return s.scalar(
        select(m.Rating)
        .where(m.Rating.window_number == window, m.Rating.status == RatingStatus.OPEN)
        .order_by(m.Rating.opened_at.desc())
    )


def close_open_slot(s: Session, ctx: Context, window: int, reason: str) -> m.Rating | None:
    """End the window's open slot as 未评价 (the next resident was called, or the day closed)."""
    slot = open_slot(s, window)
    if slot is None:
        return None
    slot.status = RatingStatus.UNRATED
    s.flush()
    return slot


def new_followup(
    ctx: Context, kind: FollowupKind, day: dt.date, h: m.Handling, due: dt.date, rating_id: str | None = None
) -> m.FollowUp:
    return m.FollowUp(
        id=str(uuid.uuid4()),
        kind=kind,
        business_date=day,
        ticket_id=h.ticket_id,
        handling_id=h.id,
        rating_id=rating_id,
        window_number=h.window_number,
        service_code=h.service_code,
        due_date=due,
        status=FollowupStatus.OPEN,
    )
