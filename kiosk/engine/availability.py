"""Whether a service can issue a ticket right now, and if not, why — one answer for the home screen
and for issuing, so the screen never offers a button whose touch would be refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.config.schema import Service
from kiosk.db import models as m
from kiosk.engine.context import Context
from kiosk.engine.errors import DailyCapReached, DomainError, HallClosed
from kiosk.engine.schedule import IssueWindow, issuing_state, next_opening

DAY_CLOSED_REASON = "今日已日结，请明天再来"


@dataclass(frozen=True)
class Availability:
    open: bool
    reason: str
    """Plain Chinese for the resident ("" when open)."""
    refusal: type[DomainError] | None = None
    """The error issuing raises for this reason."""


OPEN = Availability(True, "")


def hall_state(s: Session, ctx: Context, now: dt.datetime) -> IssueWindow:
    """Opening hours, cut-off and the day's close (日结) together: what the resting screen shows."""
    state = issuing_state(now, ctx.config, ctx.calendar)
    if s.get(m.DayClose, ctx.today(now)) is not None:
        last_moment = ctx.local(now).replace(hour=23, minute=59, second=59)
        return IssueWindow(False, DAY_CLOSED_REASON, next_opening(last_moment, ctx.config, ctx.calendar))
    return state


def cap_reason(service: Service) -> str:
    return f"{service.name}今日号源已取完（{service.daily_cap} 个）"


def issued_today(s: Session, day: dt.date, prefix: str) -> int:
    """The last number issued today for a prefix (numbers run 1, 2, … per prefix and day)."""
    return int(
        s.scalar(
            select(func.max(m.Ticket.seq_no)).where(m.Ticket.business_date == day, m.Ticket.prefix == prefix)
        )
        or 0
    )


def service_availability(
    s: Session, ctx: Context, now: dt.datetime, hall: IssueWindow | None = None
) -> dict[str, Availability]:
    """Per service code: can a ticket be issued at ``now``?"""
    hall = hall or hall_state(s, ctx, now)
    if not hall.open:
        closed = Availability(False, hall.reason, HallClosed)
        return {svc.code: closed for svc in ctx.config.services}
    day = ctx.today(now)
    out: dict[str, Availability] = {}
    for svc in ctx.config.services:
        if issued_today(s, day, svc.prefix) >= svc.daily_cap:
            out[svc.code] = Availability(False, cap_reason(svc), DailyCapReached)
        else:
            out[svc.code] = OPEN
    return out
