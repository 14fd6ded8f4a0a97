"""The night's figures at the centre, computed by the contract's ``compute_summary`` (the kiosk's own
日结 function, sync/contract/figures.py) over the rows the centre materialised, so each hall's figures
equal its kiosk's 日结 exactly. Presentation-only extras
(hourly series, rankings, follow-up status) are derived here from the same records."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from sync.centre import models
from sync.centre.followups import FollowupView, views
from sync.contract.enums import FollowupKind, FollowupStatus
from sync.contract.figures import (
    RECORD_FIELDS,
    DayRecords,
    DaySummary,
    Figures,
    compute_summary,
    figures_agree,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)


def broken_reason(exc: BaseException) -> str:
    """What the operator is told about a hall whose records cannot be shown (short, plain)."""
    return f"{type(exc).__name__}: {exc}"[:200]


# The snapshot fields compute_summary reads ("s" text, "i" integer, "b" boolean), from the contract.
# Extracting them in SQL instead of decoding every snapshot's JSON in Python makes the street's night
# render in seconds.
_FIELDS: dict[str, dict[str, str]] = {
    kind: {name: "b" if tp is bool else "i" if tp is int else "s" for name, tp in cols.items()}
    for kind, cols in RECORD_FIELDS.items()
}


def _select(table: Any, kind: str) -> Any:
    cols = []
    for name, typ in _FIELDS[kind].items():
        el = table.data[name]
        cols.append(
            (el.as_integer() if typ == "i" else el.as_boolean() if typ == "b" else el.as_string()).label(name)
        )
    return select(*cols)


def _rows(conn: Connection, table: Any, kind: str, *where: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(_select(table, kind).where(*where))]


def hall_snapshots(conn: Connection, hall_id: str, day: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The snapshot fields the kiosk's own ``load_day_records`` would read for that hall and day."""
    d = day.isoformat()

    def on_day(t: Any) -> tuple[Any, Any]:
        return (t.hall_id == hall_id, t.business_date == d)

    return {
        "tickets": _rows(conn, models.Ticket, "tickets", *on_day(models.Ticket)),
        "handlings": _rows(conn, models.Handling, "handlings", *on_day(models.Handling)),
        "ratings": _rows(conn, models.Rating, "ratings", *on_day(models.Rating)),
        "followups": _rows(
            conn,
            models.Followup,
            "followups",
            models.Followup.hall_id == hall_id,
            models.Followup.business_date <= d,
        ),
        "ignored": _rows(conn, models.IgnoredPress, "ignored", *on_day(models.IgnoredPress)),
    }


def hall_summary(conn: Connection, hall_id: str, day: dt.date, as_of: dt.date | None = None) -> DaySummary:
    snaps = hall_snapshots(conn, hall_id, day)
    return compute_summary(DayRecords.from_snapshots(**snaps), hall_id, day, as_of=as_of or day)


@dataclass
class Hourly:
    """Arrivals and mean wait (minutes) per local hour of issue."""

    arrivals: dict[int, int] = field(default_factory=dict)
    wait_min: dict[int, float] = field(default_factory=dict)


def hourly(records: DayRecords) -> Hourly:
    first_call: dict[str, dt.datetime] = {}
    for h in records.handlings:
        if h.ticket_id not in first_call or h.called_at < first_call[h.ticket_id]:
            first_call[h.ticket_id] = h.called_at
    counts: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    for t in records.tickets:
        hour = t.issued_at.astimezone(SHANGHAI).hour
        counts[hour] += 1
        if t.id in first_call:
            waits[hour].append((first_call[t.id] - t.issued_at).total_seconds() / 60)
    return Hourly(dict(counts), {h: round(sum(v) / len(v), 1) for h, v in waits.items()})


@dataclass
class HallNight:
    hall_id: str
    hall_name: str
    summary: DaySummary
    hourly: Hourly
    synced: bool
    """The kiosk's 日结 (day.closed) for this date reached the centre."""
    last_push_at: dt.datetime | None
    kiosks: list[str]
    dissatisfied: list[dict[str, Any]]
    """Each dissatisfied rating with its follow-ups (kiosk snapshot + centre results)."""
    overdue_promised: list[FollowupView]
    overdue_followups: list[FollowupView]
    clock_skew_s: float | None = None
    """The largest clock error among the hall's kiosks at their last push (centre minus kiosk)."""
    matches_kiosk: bool | None = None
    """When the kiosk's 日结 carried its figures: whether the centre's are identical (None: not sent)."""
    service_names: dict[str, str] = field(default_factory=dict)
    """Service code → the name residents saw, from the tickets' snapshots."""
    error: str | None = None
    tallies: dict[str, int] = field(default_factory=dict)
    """Counted in the database whether or not the items are listed: overdue_promised, overdue_other,
    followups_open and followups_late (the 回访/整改 of the night's 差评 not done, and past due)."""
    """Why this hall's records could not be computed or shown (its figures are then left out of the
    street's, and its page says so); the other halls are not affected."""

    def service_name(self, code: str) -> str:
        return self.service_names.get(code, code)

    @property
    def figures(self) -> Figures:
        return self.summary.hall


@dataclass
class StreetNight:
    day: dt.date
    as_of: dt.date
    halls: list[HallNight]
    street: Figures
    hourly: Hourly
    generated_at: dt.datetime

    @property
    def not_synced(self) -> list[HallNight]:
        return [h for h in self.halls if not h.synced]


def _halls(conn: Connection) -> dict[str, dict[str, Any]]:
    halls: dict[str, dict[str, Any]] = {}
    for k in conn.execute(select(models.Kiosk)):
        h = halls.setdefault(k.hall_id, {"name": k.hall_name or k.hall_id, "kiosks": [], "last_push": None})
        h["kiosks"].append(k.kiosk_id)
        if k.hall_name:
            h["name"] = k.hall_name
        if k.last_push_at is not None:
            at = k.last_push_at if k.last_push_at.tzinfo else k.last_push_at.replace(tzinfo=dt.UTC)
            h["last_push"] = max(h["last_push"] or at, at)
        if k.last_skew_seconds is not None and abs(k.last_skew_seconds) > abs(h.get("skew") or 0):
            h["skew"] = k.last_skew_seconds
    return halls


def _service_names(conn: Connection, hall_id: str, day: dt.date) -> dict[str, str]:
    code = models.Ticket.data["service_code"].as_string()
    name = models.Ticket.data["service_name"].as_string()
    rows = conn.execute(
        select(code, name)
        .where(models.Ticket.hall_id == hall_id, models.Ticket.business_date == day.isoformat())
        .distinct()
    )
    return {c: n for c, n in rows if c and n}


def _overdue(conn: Connection, hall_id: str, as_of: dt.date) -> tuple[list[FollowupView], list[FollowupView]]:
    rows = list(
        conn.execute(
            select(models.Followup).where(
                models.Followup.hall_id == hall_id,
                models.Followup.status == FollowupStatus.OPEN,
                models.Followup.due_date < as_of.isoformat(),
            )
        )
    )
    open_views = [v for v in views(conn, rows) if v.overdue(as_of)]  # type: ignore[arg-type]
    promised = [v for v in open_views if v.data.get("kind") == FollowupKind.PROMISED]
    others = [v for v in open_views if v.data.get("kind") != FollowupKind.PROMISED]
    key = lambda v: (str(v.data.get("due_date")), v.data["id"])  # noqa: E731
    return sorted(promised, key=key), sorted(others, key=key)


def _dissatisfied(
    conn: Connection, hall_id: str, summary: DaySummary, as_of: dt.date
) -> list[dict[str, Any]]:
    ids = [d["rating_id"] for d in summary.dissatisfied]
    if not ids:
        return []
    rows = list(
        conn.execute(
            select(models.Followup).where(
                models.Followup.hall_id == hall_id, models.Followup.kind != FollowupKind.PROMISED
            )
        )
    )
    by_rating: dict[str, list[FollowupView]] = defaultdict(list)
    for v in views(conn, [r for r in rows if r.data.get("rating_id") in set(ids)]):  # type: ignore[misc]
        by_rating[str(v.data.get("rating_id"))].append(v)
    out = []
    for d in summary.dissatisfied:
        fus = sorted(by_rating.get(d["rating_id"], []), key=lambda v: str(v.data.get("kind")))
        out.append({**d, "followups": fus, "overdue": any(v.overdue(as_of) for v in fus)})
    return out


def compare_with_kiosk(summary: DaySummary, day_close: Any) -> bool | None:
    """The kiosk may send its 日结 figures in the day_close snapshot (key ``figures``, the output of
    ``DaySummary.figures_dict``, with ``figures_version``); then the centre checks that its own are
    identical on every figure that version knew."""
    if not isinstance(day_close, dict) or not isinstance(day_close.get("figures"), dict):
        return None
    ours = json.loads(json.dumps(summary.figures_dict()))
    version = day_close.get("figures_version")
    return figures_agree(ours, day_close["figures"], version if isinstance(version, int) else None)


def street_night(
    conn: Connection, day: dt.date, as_of: dt.date | None = None, detail: bool | str = True
) -> StreetNight:
    """The night as the pages show it: read from the stored hall-day figures (night_store). ``detail``:
    which halls' 差评 and overdue items are listed (True all, a hall id that one, False none: counts)."""
    from sync.centre.night_store import stored_night

    return stored_night(conn, day, as_of, detail)


def recomputed_street_night(conn: Connection, day: dt.date, as_of: dt.date | None = None) -> StreetNight:
    """The night recomputed from the snapshots (what the stored figures must equal; tests and checks)."""
    as_of = as_of or max(day, dt.datetime.now(SHANGHAI).date())
    halls_meta = _halls(conn)
    closed: dict[str, Any] = {
        r[0]: r[1]
        for r in conn.execute(
            select(models.DayClose.hall_id, models.DayClose.data).where(
                models.DayClose.business_date == day.isoformat()
            )
        )
    }
    for r in conn.execute(
        select(models.Ticket.hall_id).where(models.Ticket.business_date == day.isoformat()).distinct()
    ):
        halls_meta.setdefault(r[0], {"name": r[0], "kiosks": [], "last_push": None})
    halls: list[HallNight] = []
    merged = DayRecords()
    for hall_id, meta in sorted(halls_meta.items()):
        try:
            with conn.begin_nested():  # PostgreSQL: a failed cast aborts only this hall's savepoint
                hall, records = _hall_night(conn, hall_id, meta, day, as_of, closed)
        except Exception as exc:  # one hall's bad records never take the street's page down
            log.exception("hall %s: records of %s cannot be computed", hall_id, day)
            hall, records = _broken_hall(hall_id, meta, day, as_of, closed, broken_reason(exc)), None
        halls.append(hall)
        if records is not None:
            merged.tickets += records.tickets
            merged.handlings += records.handlings
            merged.ratings += records.ratings
            merged.ignored += records.ignored
    street = compute_summary(merged, "street", day, as_of=as_of).hall
    return StreetNight(day, as_of, halls, street, hourly(merged), dt.datetime.now(dt.UTC))


def _hall_night(
    conn: Connection,
    hall_id: str,
    meta: dict[str, Any],
    day: dt.date,
    as_of: dt.date,
    closed: dict[str, Any],
) -> tuple[HallNight, DayRecords]:
    snaps = hall_snapshots(conn, hall_id, day)
    records = DayRecords.from_snapshots(**snaps)
    summary = compute_summary(records, hall_id, day, as_of=as_of)
    promised, others = _overdue(conn, hall_id, as_of)
    night = HallNight(
        hall_id=hall_id,
        hall_name=meta["name"],
        summary=summary,
        hourly=hourly(records),
        synced=hall_id in closed,
        matches_kiosk=compare_with_kiosk(summary, closed.get(hall_id)),
        last_push_at=meta["last_push"],
        clock_skew_s=meta.get("skew"),
        kiosks=sorted(meta["kiosks"]),
        dissatisfied=_dissatisfied(conn, hall_id, summary, as_of),
        overdue_promised=promised,
        overdue_followups=others,
        service_names=_service_names(conn, hall_id, day),
    )
    return night, records


def _broken_hall(
    hall_id: str, meta: dict[str, Any], day: dt.date, as_of: dt.date, closed: dict[str, Any], reason: str
) -> HallNight:
    return HallNight(
        hall_id=hall_id,
        hall_name=meta["name"],
        summary=compute_summary(DayRecords(), hall_id, day, as_of=as_of),
        hourly=Hourly(),
        synced=hall_id in closed,
        last_push_at=meta["last_push"],
        clock_skew_s=meta.get("skew"),
        kiosks=sorted(meta["kiosks"]),
        dissatisfied=[],
        overdue_promised=[],
        overdue_followups=[],
        error=reason,
    )
