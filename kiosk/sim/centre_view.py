"""Reading the street centre's side after the run: its published pages, its summary, and its rows.

The pages are fetched over HTTP from the running centre (the hall's nightly page and the night's CSV).
The summary comes from the centre's own code, `sync.centre.figures.hall_summary`, which hands the rows
the centre materialised to the kiosk's `compute_summary`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import requests
from sqlalchemy import Engine, select

from sync.centre import models
from sync.centre.csv_export import FIELDS
from sync.centre.figures import hall_summary
from sync.contract.figures import DaySummary


def centre_summary(engine: Engine, hall_id: str, day: dt.date) -> DaySummary:
    with engine.connect() as conn:
        return hall_summary(conn, hall_id, day, as_of=day)


def fetch_pages(base_url: str, day: dt.date, hall_id: str) -> dict[str, str]:
    """What staff at the street centre open: the hall's page and the night's CSV (empty on failure)."""
    out: dict[str, str] = {}
    for name, path in (("html", f"/summary/{day}/hall/{hall_id}"), ("csv", f"/summary/{day}.csv")):
        try:
            resp = requests.get(base_url + path, timeout=60)
        except requests.RequestException:
            continue
        if resp.status_code == 200:
            resp.encoding = "utf-8"
            out[name] = resp.text
    return out


def csv_figures(text: str, hall_id: str) -> dict[str, dict[str, str]]:
    """The published CSV's rows for one hall, keyed hall / w<n> / s<code>, values as printed."""
    rows: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        if row["hall_id"] != hall_id:
            continue
        key = {"hall": "hall", "window": f"w{row['window']}", "service": f"s{row['service_code']}"}.get(
            row["level"]
        )
        if key:
            rows[key] = {k: v for k, v in row.items() if k in FIELDS}
    return rows


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
