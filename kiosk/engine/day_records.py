"""Load one business day's records from the kiosk database for `compute_summary`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.clock import as_utc
from sync.contract.figures import DayRecords, FollowupRec, HandlingRec, IgnoredRec, RatingRec, TicketRec


def _opt(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def load_day_records(s: Session, day: dt.date) -> DayRecords:
    return DayRecords(
        tickets=[
            TicketRec(
                t.id, t.number, t.service_code, t.priority, as_utc(t.issued_at), t.status, t.print_status
            )
            for t in s.scalars(select(m.Ticket).where(m.Ticket.business_date == day))
        ],
        handlings=[
            HandlingRec(
                h.id,
                h.ticket_id,
                h.window_number,
                h.service_code,
                as_utc(h.called_at),
                _opt(h.started_at),
                _opt(h.finished_at),
                h.outcome,
            )
            for h in s.scalars(select(m.Handling).where(m.Handling.business_date == day))
        ],
        ratings=[
            RatingRec(
                r.id,
                r.handling_id,
                r.ticket_id,
                r.window_number,
                r.service_code,
                r.status,
                r.level,
                r.satisfied,
                r.dissatisfied,
                _opt(r.rated_at),
            )
            for r in s.scalars(select(m.Rating).where(m.Rating.business_date == day))
        ],
        followups=[
            FollowupRec(
                f.id,
                f.kind,
                f.rating_id,
                f.ticket_id,
                f.window_number,
                f.service_code,
                f.business_date,
                f.due_date,
                f.status,
            )
            for f in s.scalars(select(m.FollowUp).where(m.FollowUp.business_date <= day))
        ],
        ignored=[
            IgnoredRec(i.window_number, i.reason)
            for i in s.scalars(select(m.IgnoredPress).where(m.IgnoredPress.business_date == day))
        ],
    )
