"""Outbox events: written in the same transaction as the change they record.

Each event carries full snapshots of the rows it touched, so the street centre materialises by
upsert and never needs the kiosk's history to interpret one event (the contract is in
docs/sync-events.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.db import models as m


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def ticket_snapshot(t: m.Ticket, hall_id: str, service_name: str) -> dict[str, Any]:
    return {
        "id": t.id,
        "hall_id": hall_id,
        "business_date": _iso(t.business_date),
        "number": t.number,
        "prefix": t.prefix,
        "seq_no": t.seq_no,
        "service_code": t.service_code,
        "service_name": service_name,
        "priority": t.priority,
        "issued_at": _iso(t.issued_at),
        "status": t.status,
        "print_status": t.print_status,
        "print_error": t.print_error,
        "reprints": t.reprints,
    }


def handling_snapshot(h: m.Handling, hall_id: str) -> dict[str, Any]:
    return {
        "id": h.id,
        "ticket_id": h.ticket_id,
        "hall_id": hall_id,
        "business_date": _iso(h.business_date),
        "window_number": h.window_number,
        "service_code": h.service_code,
        "called_at": _iso(h.called_at),
        "last_called_at": _iso(h.last_called_at),
        "recalls": h.recalls,
        "started_at": _iso(h.started_at),
        "finished_at": _iso(h.finished_at),
        "outcome": h.outcome,
        "missing_materials": list(h.missing_materials or []),
        "promised_due": _iso(h.promised_due),
        "staff_id": h.staff_id,
    }


def rating_snapshot(r: m.Rating, hall_id: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "handling_id": r.handling_id,
        "ticket_id": r.ticket_id,
        "hall_id": hall_id,
        "business_date": _iso(r.business_date),
        "window_number": r.window_number,
        "service_code": r.service_code,
        "opened_at": _iso(r.opened_at),
        "expires_at": _iso(r.expires_at),
        "status": r.status,
        "level": r.level,
        "rated_at": _iso(r.rated_at),
        "satisfied": r.satisfied,
        "dissatisfied": r.dissatisfied,
        "ignored_presses": r.ignored_presses,
        "staff_id": r.staff_id,
    }


def followup_snapshot(f: m.FollowUp, hall_id: str) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "hall_id": hall_id,
        "business_date": _iso(f.business_date),
        "ticket_id": f.ticket_id,
        "handling_id": f.handling_id,
        "rating_id": f.rating_id,
        "window_number": f.window_number,
        "service_code": f.service_code,
        "due_date": _iso(f.due_date),
        "status": f.status,
        "result": f.result,
        "done_at": _iso(f.done_at),
    }


def emit(
    session: Session,
    *,
    kiosk_id: str,
    hall_id: str,
    type: str,
    at: dt.datetime,
    business_date: dt.date,
    payload: dict[str, Any],
) -> m.OutboxEvent:
    # Single writer thread: max+1 inside this transaction cannot race, and a rollback undoes both
    # the change and its event, so the sequence stays gap-free.
    last = session.scalar(select(func.max(m.OutboxEvent.seq))) or 0
    event = m.OutboxEvent(
        seq=last + 1,
        event_id=str(uuid.uuid4()),
        kiosk_id=kiosk_id,
        hall_id=hall_id,
        type=type,
        occurred_at=at,
        business_date=business_date,
        payload={k: _iso(v) for k, v in payload.items()},
    )
    session.add(event)
    return event


def envelope(e: m.OutboxEvent) -> dict[str, Any]:
    """The JSON form sent to the street centre."""
    return {
        "event_id": e.event_id,
        "seq": e.seq,
        "kiosk_id": e.kiosk_id,
        "hall_id": e.hall_id,
        "type": e.type,
        "occurred_at": _iso(e.occurred_at),
        "business_date": _iso(e.business_date),
        "payload": e.payload,
    }
