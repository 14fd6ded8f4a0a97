"""Reading the street centre's side after the run: its summary for the hall and day, and its rows.

The summary comes from the centre's own code (`sync.centre.figures.hall_summary`, which hands the rows
the centre materialised to the kiosk's `compute_summary`). Until that module is in a checkout, the same
two calls are made here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from kiosk.engine.summary import DayRecords, DaySummary, compute_summary
from sync.centre import models


def centre_summary(engine: Engine, hall_id: str, day: dt.date) -> DaySummary:
    with engine.connect() as conn:
        try:
            from sync.centre.figures import hall_summary
        except ImportError:
            snaps = centre_rows(engine, hall_id, day)
            records = DayRecords.from_snapshots(
                snaps["tickets"], snaps["handlings"], snaps["ratings"], snaps["followups"], snaps["ignored"]
            )
            return compute_summary(records, hall_id, day, as_of=day)
        return hall_summary(conn, hall_id, day, as_of=day)


def centre_rows(engine: Engine, hall_id: str, day: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Snapshots the centre holds for the hall: the day's rows, and follow-ups opened up to that day."""
    d = day.isoformat()
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for name, table in (
            ("tickets", models.Ticket),
            ("handlings", models.Handling),
            ("ratings", models.Rating),
            ("ignored", models.IgnoredPress),
        ):
            stmt = select(table.data).where(table.hall_id == hall_id, table.business_date == d)
            out[name] = [r[0] for r in conn.execute(stmt)]
        stmt = select(models.Followup.data).where(
            models.Followup.hall_id == hall_id, models.Followup.business_date <= d
        )
        out["followups"] = [r[0] for r in conn.execute(stmt)]
    return out


def centre_events(engine: Engine, kiosk_id: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(models.Event.seq, models.Event.event_id)
            .where(models.Event.kiosk_id == kiosk_id)
            .order_by(models.Event.seq)
        )
        return [(int(r[0]), str(r[1])) for r in rows]


def centre_cursor(engine: Engine, kiosk_id: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(select(models.Kiosk.acked_seq).where(models.Kiosk.kiosk_id == kiosk_id))
        return int(value.scalar_one())


def centre_day_closed(engine: Engine, hall_id: str, day: dt.date) -> bool:
    with engine.connect() as conn:
        row = conn.execute(
            select(models.DayClose.hall_id).where(
                models.DayClose.hall_id == hall_id, models.DayClose.business_date == day.isoformat()
            )
        ).first()
        return row is not None
