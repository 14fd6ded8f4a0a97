"""Each hall-day's figures, computed once when its records change and kept in typed tables.

Ingest (which also brings the kiosk's 日结, ``day.closed``) calls ``after_ingest`` for the hall-days a
batch touched; recording a 回访/整改 result calls ``refresh_followup``. Both run in the writer's own
transaction, so a page never sees records without their figures. The figures are those of the kiosk's
own pure function (``compute_summary``) over the materialised snapshots, so a stored hall-day equals the
kiosk's 日结 exactly; staff figures come from the same function with each handling's window number
replaced by its staff member (a staff member is counted exactly as a window is).

Besides the day's exact means and P90s, each row keeps sums and 10-second histograms of the waits and
service times, which is what a period (``periods.py``) adds up; the rows are also kept added up per
calendar month (``month_figures``), which is what the street's months, quarters and years read (and,
less their left-out days, ranges that cover most of a month: ``range_plan``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from sync.centre import models
from sync.centre.figures import SHANGHAI, _rows, broken_reason, compare_with_kiosk
from sync.contract.figures import (
    FINISHED,
    DayRecords,
    DaySummary,
    Figures,
    HandlingRec,
    RatingRec,
    compute_summary,
)

log = logging.getLogger("street_centre.figures")

HIST_BUCKET_S = 10
"""Resolution of the stored wait and service-time distributions (seconds)."""

COUNTS = tuple(
    f.name for f in dataclasses.fields(Figures) if f.type in ("int", int) and f.name not in ("levels",)
)
UNSTAFFED = ""
"""Staff key of handlings made while nobody was signed in at the window."""


def _hist(values: Iterable[float]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(int(max(v, 0.0) // HIST_BUCKET_S) for v in values).items())}


@dataclasses.dataclass
class _Samples:
    """Each wait and service time of the day under the keys compute_summary uses (hall, wN, sCODE)."""

    waits: dict[str, list[float]]
    durations: dict[str, list[float]]


def _samples(records: DayRecords) -> _Samples:
    """The same definitions as compute_summary: the wait runs from issue to a ticket's first call (it
    belongs to that call's window); a service runs from start (or call) to finish of a finished handling."""
    by_ticket = {t.id: t for t in records.tickets}
    first: dict[str, HandlingRec] = {}
    for h in sorted(records.handlings, key=lambda h: (h.called_at, h.id)):
        first.setdefault(h.ticket_id, h)
    waits: dict[str, list[float]] = defaultdict(list)
    for ticket_id, h in first.items():
        tk = by_ticket.get(ticket_id)
        if tk is None:
            continue
        wait = (h.called_at - tk.issued_at).total_seconds()
        for key in ("hall", f"w{h.window_number}", f"s{tk.service_code}"):
            waits[key].append(wait)
    durations: dict[str, list[float]] = defaultdict(list)
    for h in records.handlings:
        if h.outcome not in FINISHED or h.finished_at is None:
            continue
        secs = (h.finished_at - (h.started_at or h.called_at)).total_seconds()
        for key in ("hall", f"w{h.window_number}", f"s{h.service_code}"):
            durations[key].append(secs)
    return _Samples(dict(waits), dict(durations))


def _row(
    hall_id: str, day: str, scope: str, key: str, f: Figures, waits: list[float], durs: list[float]
) -> dict[str, Any]:
    row: dict[str, Any] = {c: getattr(f, c) for c in COUNTS}
    row.update({f"level_{lv}": f.levels.get(lv, 0) for lv in range(1, 6)})
    row.update(
        hall_id=hall_id,
        business_date=day,
        scope=scope,
        key=key,
        wait_n=len(waits),
        wait_sum_s=float(sum(waits)),
        service_n=len(durs),
        service_sum_s=float(sum(durs)),
        wait_mean_s=f.wait_mean_s,
        wait_p90_s=f.wait_p90_s,
        service_mean_s=f.service_mean_s,
        service_p90_s=f.service_p90_s,
        evaluation_rate=f.evaluation_rate,
        satisfaction_rate=f.satisfaction_rate,
        wait_hist=_hist(waits),
        service_hist=_hist(durs),
    )
    return row


def _staff_of_handlings(conn: Connection, hall_id: str, day: str) -> dict[str, str]:
    sid = models.Handling.data["staff_id"].as_string()
    rows = conn.execute(
        select(models.Handling.id, sid).where(
            models.Handling.hall_id == hall_id, models.Handling.business_date == day, sid.is_not(None)
        )
    )
    return {h: s for h, s in rows if s}


def _as_staff(records: DayRecords, staff_of: Mapping[str, str]) -> tuple[DayRecords, dict[int, str]]:
    """The day's records with each handling's (and its rating's) window number replaced by a number
    standing for the staff member signed in when it was called; ratings follow their handling, so a
    rating given after the staff member signed out is still theirs."""
    ids = sorted({staff_of.get(h.id, UNSTAFFED) for h in records.handlings})
    number = {s: i for i, s in enumerate(ids, 1)}
    of_handling = {h.id: number[staff_of.get(h.id, UNSTAFFED)] for h in records.handlings}
    handlings = [dataclasses.replace(h, window_number=of_handling[h.id]) for h in records.handlings]
    ratings: list[RatingRec] = [
        dataclasses.replace(r, window_number=of_handling[r.handling_id])
        for r in records.ratings
        if r.handling_id in of_handling
    ]
    return DayRecords(records.tickets, handlings, ratings, []), {i: s for s, i in number.items()}


def _hourly(records: DayRecords) -> dict[str, dict[str, float]]:
    first: dict[str, dt.datetime] = {}
    for h in records.handlings:
        if h.ticket_id not in first or h.called_at < first[h.ticket_id]:
            first[h.ticket_id] = h.called_at
    arrivals: dict[str, float] = defaultdict(int)
    wait_sum: dict[str, float] = defaultdict(float)
    wait_n: dict[str, float] = defaultdict(int)
    for t in records.tickets:
        hour = str(t.issued_at.astimezone(SHANGHAI).hour)
        arrivals[hour] += 1
        if t.id in first:
            wait_sum[hour] += (first[t.id] - t.issued_at).total_seconds() / 60
            wait_n[hour] += 1
    return {"arrivals": dict(arrivals), "wait_sum_min": dict(wait_sum), "wait_n": dict(wait_n)}


def _service_names(conn: Connection, hall_id: str, day: str) -> dict[str, str]:
    code = models.Ticket.data["service_code"].as_string()
    name = models.Ticket.data["service_name"].as_string()
    rows = conn.execute(
        select(code, name)
        .where(models.Ticket.hall_id == hall_id, models.Ticket.business_date == day)
        .distinct()
    )
    return {c: n for c, n in rows if c and n}


def _day_snapshots(conn: Connection, hall_id: str, d: str) -> dict[str, list[dict[str, Any]]]:
    """The snapshot fields of the hall-day (as ``figures.hall_snapshots``, without the follow-ups: the
    stored figures do not depend on which of them are still open)."""
    out = {}
    for kind, table in (
        ("tickets", models.Ticket),
        ("handlings", models.Handling),
        ("ratings", models.Rating),
        ("ignored", models.IgnoredPress),
    ):
        out[kind] = _rows(conn, table, kind, table.hall_id == hall_id, table.business_date == d)
    return out


def refresh_hall_day(
    conn: Connection, hall_id: str, day: dt.date, now: dt.datetime | None = None
) -> DaySummary:
    """Recompute and store one hall-day's figures (replacing what was stored); returns its summary."""
    d = day.isoformat()
    records = DayRecords.from_snapshots(**_day_snapshots(conn, hall_id, d))
    summary = compute_summary(records, hall_id, day, as_of=day)
    close = conn.execute(
        select(models.DayClose.data).where(
            models.DayClose.hall_id == hall_id, models.DayClose.business_date == d
        )
    ).first()
    conn.execute(
        delete(models.DayFigures).where(
            models.DayFigures.hall_id == hall_id, models.DayFigures.business_date == d
        )
    )
    conn.execute(
        delete(models.HallDay).where(models.HallDay.hall_id == hall_id, models.HallDay.business_date == d)
    )
    if not (records.tickets or records.handlings or records.ratings or close):
        return summary  # a day the hall only sent follow-up updates on: no figures of its own
    samples = _samples(records)
    rows = [
        _row(
            hall_id,
            d,
            "hall",
            "",
            summary.hall,
            samples.waits.get("hall", []),
            samples.durations.get("hall", []),
        )
    ]
    for n, f in summary.windows.items():
        rows.append(
            _row(
                hall_id,
                d,
                "window",
                str(n),
                f,
                samples.waits.get(f"w{n}", []),
                samples.durations.get(f"w{n}", []),
            )
        )
    for code, f in summary.services.items():
        rows.append(
            _row(
                hall_id,
                d,
                "service",
                code,
                f,
                samples.waits.get(f"s{code}", []),
                samples.durations.get(f"s{code}", []),
            )
        )
    staff_of = _staff_of_handlings(conn, hall_id, d)
    if staff_of:
        staffed, ids = _as_staff(records, staff_of)
        by_staff = compute_summary(staffed, hall_id, day, as_of=day)
        staff_samples = _samples(staffed)
        for i, f in by_staff.windows.items():
            if ids[i] == UNSTAFFED:
                continue
            rows.append(
                _row(
                    hall_id, d, "staff", ids[i], f,
                    staff_samples.waits.get(f"w{i}", []), staff_samples.durations.get(f"w{i}", []),
                )
            )  # fmt: skip
    conn.execute(insert(models.DayFigures), rows)
    conn.execute(
        insert(models.HallDay).values(
            hall_id=hall_id,
            business_date=d,
            closed=close is not None,
            matches_kiosk=compare_with_kiosk(summary, close[0]) if close is not None else None,
            computed_at=now or dt.datetime.now(dt.UTC),
            hourly=_hourly(records),
            service_names=_service_names(conn, hall_id, d),
            dissatisfied=summary.dissatisfied,
        )
    )
    return summary


def _local_day(value: Any) -> str | None:
    if not value:
        return None
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(SHANGHAI).date().isoformat()


def refresh_followups(conn: Connection, hall_id: str, where: Any = None) -> int:
    """Rewrite the due/done facts of a hall's follow-ups (those matching ``where``, else all of them)."""
    stmt = select(models.Followup.id, models.Followup.data).where(models.Followup.hall_id == hall_id)
    if where is not None:
        stmt = stmt.where(where)
    rows = list(conn.execute(stmt))
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    done_at: dict[str, dt.datetime] = {}
    handling_ids = {str(r[1].get("handling_id")) for r in rows if r[1].get("handling_id")}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for fid, at in conn.execute(
            select(models.FollowupResult.followup_id, models.FollowupResult.recorded_at).where(
                models.FollowupResult.hall_id == hall_id,
                models.FollowupResult.followup_id.in_(chunk),
                models.FollowupResult.done.is_(True),
            )
        ):
            if fid not in done_at or at < done_at[fid]:
                done_at[fid] = at
    staff: dict[str, str] = {}
    sid = models.Handling.data["staff_id"].as_string()
    hids = sorted(handling_ids)
    for i in range(0, len(hids), 500):
        for hid, s in conn.execute(
            select(models.Handling.id, sid).where(
                models.Handling.hall_id == hall_id, models.Handling.id.in_(hids[i : i + 500])
            )
        ):
            if s:
                staff[hid] = s
    facts = []
    for fid, data in rows:
        kiosk_done = _local_day(data.get("done_at")) if data.get("status") == "done" else None
        centre_done = _local_day(done_at[fid]) if fid in done_at else None
        done = min((d for d in (kiosk_done, centre_done) if d), default=None)
        facts.append(
            {
                "hall_id": hall_id,
                "id": fid,
                "kind": str(data.get("kind") or ""),
                "business_date": str(data.get("business_date") or ""),
                "due_date": str(data["due_date"]) if data.get("due_date") else None,
                "window_number": str(data.get("window_number") or ""),
                "staff_id": staff.get(str(data.get("handling_id"))),
                "done_on": done,
            }
        )
    _replace_facts(conn, hall_id, ids, facts)
    return len(facts)


def _replace_facts(conn: Connection, hall_id: str, ids: list[str], facts: list[dict[str, Any]]) -> None:
    """Store the facts in place of those of the same ids, and count their due months again."""
    months = {(hall_id, str(f["due_date"])[:7]) for f in facts if f["due_date"]}
    for i in range(0, len(ids), 500):
        where = (models.FollowupFact.hall_id == hall_id, models.FollowupFact.id.in_(ids[i : i + 500]))
        for (was,) in conn.execute(select(models.FollowupFact.due_date).where(*where).distinct()):
            if was:
                months.add((hall_id, was[:7]))  # a due date moved: its old month loses the fact
        conn.execute(delete(models.FollowupFact).where(*where))
    conn.execute(insert(models.FollowupFact), facts)
    store_followup_months(conn, months)


def _lock_month(conn: Connection, name: str, hall_id: str, month: str) -> None:
    """On PostgreSQL, hold the (table, hall, month) lock to the end of the transaction: of two writers
    of the same month the second waits for the first to commit, then reads what it wrote."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"{name}:{hall_id}:{month}"}
        )


def store_followup_months(conn: Connection, months: Iterable[tuple[str, str]]) -> None:
    """Count again the (hall, due ``YYYY-MM``) months' follow-up facts into ``followup_months``: per
    window, staff member and kind, how many were due and how many were done by their due day. Months
    are locked in sorted order (never a deadlock between two writers)."""
    f, m = models.FollowupFact, models.FollowupMonth
    on_time = func.sum(case((and_(f.done_on.is_not(None), f.done_on <= f.due_date), 1), else_=0))
    for hall_id, month in sorted(set(months)):
        _lock_month(conn, "followup_months", hall_id, month)
        conn.execute(delete(m).where(m.hall_id == hall_id, m.month == month))
        rows = [
            {"hall_id": hall_id, "month": month, "window_number": w, "staff_id": sid or "", "kind": k,
             "due": int(n), "on_time": int(ok or 0)}
            for w, sid, k, n, ok in conn.execute(
                select(f.window_number, f.staff_id, f.kind, func.count(), on_time)
                .where(f.hall_id == hall_id, f.due_date.between(f"{month}-01", f"{month}-31"))
                .group_by(f.window_number, f.staff_id, f.kind)
            )
        ]  # fmt: skip
        if rows:
            conn.execute(insert(m), rows)


def refresh_followup(conn: Connection, hall_id: str, followup_id: str) -> None:
    refresh_followups(conn, hall_id, models.Followup.id == followup_id)


def after_ingest(
    conn: Connection,
    hall_id: str,
    kiosk_id: str,
    since_seq: int,
    now: dt.datetime,
    events: Iterable[Mapping[str, Any]] | None = None,
) -> None:
    """Refresh what a stored push changed: the figures of each business day it carried records of, the
    facts of the follow-ups it wrote (their ``src_seq`` is one of the push's seqs) and the names of the
    staff who signed in. ``events``: the push's new events (portable path); on PostgreSQL they are
    read back — the kiosk's events after its previous acknowledgement received at this very ``now``."""
    if events is None:
        events = _pushed(conn, kiosk_id, since_seq, now)
    days: set[str] = set()
    closed: set[str] = set()
    shifts: list[dict[str, Any]] = []
    for ev in events:
        days.add(str(ev["business_date"]))
        payload = ev["payload"]
        close = payload.get("day_close")
        if isinstance(close, dict) and close.get("business_date"):
            closed.add(str(close["business_date"]))
        if isinstance(payload.get("shift"), dict):
            shifts.append(payload["shift"])
    # A push only marks its days: recomputing a whole hall-day for every batch (or at the 日结, in the
    # nightly rush) would halve the ingest rate; the server's refresher recomputes them within seconds,
    # and a page that needs a marked day recomputes it first.
    mark_dirty(conn, hall_id, days | closed, now)
    refresh_followups(conn, hall_id, models.Followup.src_seq > since_seq)
    if shifts:
        from sync.centre import staff_names

        staff_names.learn(conn, hall_id, shifts, now)


def mark_dirty(conn: Connection, hall_id: str, days: Iterable[str], now: dt.datetime) -> None:
    rows = [{"hall_id": hall_id, "business_date": d, "marked_at": now} for d in sorted(set(days))]
    if not rows:
        return
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(models.DirtyDay)
    conn.execute(
        ins.on_conflict_do_update(
            index_elements=["hall_id", "business_date"], set_={"marked_at": ins.excluded.marked_at}
        ),
        rows,
    )


def refresh_dirty(
    conn: Connection, start: dt.date | None = None, end: dt.date | None = None, limit: int = 1000
) -> int:
    """Recompute the hall-days marked since their figures were stored (those from ``start`` to ``end``,
    else the oldest ``limit``). On PostgreSQL the marks are locked, so two refreshers (the background
    one and a page) never recompute the same day, and a push marking it again waits and marks anew."""
    d = models.DirtyDay
    stmt = select(d.hall_id, d.business_date).order_by(d.marked_at).limit(limit)
    if start is not None and end is not None:
        stmt = stmt.where(d.business_date.between(start.isoformat(), end.isoformat()))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    todo = list(conn.execute(stmt))
    for hall_id, day in todo:
        refresh_safely(conn, hall_id, dt.date.fromisoformat(day))
        conn.execute(delete(d).where(d.hall_id == hall_id, d.business_date == day))
    store_months(conn, {(hall_id, day[:7]) for hall_id, day in todo})
    return len(todo)


MONTH_SUMMED = tuple(
    c.name
    for c in models.MonthFigures.__table__.columns
    if c.name not in ("hall_id", "month", "scope", "key", "days") and not c.name.endswith(("_p90_s", "_hist"))
)
"""The month row's columns that are the sums of its day rows' (counts, levels, wait and service sums)."""


def store_months(conn: Connection, months: Iterable[tuple[str, str]]) -> None:
    """Add up again the (hall, ``YYYY-MM``) months' hall-day rows into ``month_figures``, every scope.

    On PostgreSQL each month is locked (a transaction-scoped advisory lock) before its days are read, in
    sorted order: of two refreshers of the same month the second waits for the first to commit and then
    reads its day too (never a lost day, never a deadlock)."""
    f, m = models.DayFigures, models.MonthFigures
    cols = [getattr(f, c) for c in MONTH_SUMMED]
    for hall_id, month in sorted(set(months)):
        _lock_month(conn, "month_figures", hall_id, month)
        conn.execute(delete(m).where(m.hall_id == hall_id, m.month == month))
        out: dict[tuple[str, str], dict[str, Any]] = {}
        hists: dict[tuple[str, str], tuple[Counter[int], Counter[int]]] = {}
        rows = conn.execute(
            select(f.scope, f.key, f.wait_p90_s, f.service_p90_s, f.wait_hist, f.service_hist, *cols).where(
                f.hall_id == hall_id, f.business_date.between(f"{month}-01", f"{month}-31")
            )
        )
        for scope, key, wait_p90, service_p90, wait_hist, service_hist, *sums in rows:
            row = out.get((scope, key))
            if row is None:
                row = out[(scope, key)] = {
                    "hall_id": hall_id, "month": month, "scope": scope, "key": key, "days": 0,
                    "wait_p90_s": wait_p90, "service_p90_s": service_p90,
                    **dict.fromkeys(MONTH_SUMMED, 0),
                }  # fmt: skip
                hists[(scope, key)] = (Counter(), Counter())
            row["days"] += 1
            for c, v in zip(MONTH_SUMMED, sums, strict=True):
                row[c] += v or 0
            wait, service = hists[(scope, key)]
            wait.update({int(b): int(n) for b, n in (wait_hist or {}).items()})
            service.update({int(b): int(n) for b, n in (service_hist or {}).items()})
        for k, row in out.items():
            if row["days"] > 1:  # only a single day's P90 is exact; more days read the histograms
                row["wait_p90_s"] = row["service_p90_s"] = None
            wait, service = hists[k]
            row["wait_hist"] = {str(b): wait[b] for b in sorted(wait)}
            row["service_hist"] = {str(b): service[b] for b in sorted(service)}
        if out:
            conn.execute(insert(m), list(out.values()))


def refresh_safely(conn: Connection, hall_id: str, day: dt.date) -> None:
    """``refresh_hall_day``; a hall-day whose records cannot be computed keeps the reason instead of
    figures, so one hall's bad record never stops the others' (nor the ingest that marked it)."""
    try:
        with conn.begin_nested():
            refresh_hall_day(conn, hall_id, day)
    except Exception as exc:  # any bad record: this hall-day says why, the others carry on
        log.exception("hall %s, %s: figures cannot be computed", hall_id, day)
        d = day.isoformat()
        conn.execute(
            delete(models.DayFigures).where(
                models.DayFigures.hall_id == hall_id, models.DayFigures.business_date == d
            )
        )
        conn.execute(
            delete(models.HallDay).where(models.HallDay.hall_id == hall_id, models.HallDay.business_date == d)
        )
        conn.execute(
            insert(models.HallDay).values(
                hall_id=hall_id, business_date=d, closed=False, matches_kiosk=None,
                computed_at=dt.datetime.now(dt.UTC), hourly={}, service_names={}, dissatisfied=[],
                error=broken_reason(exc),
            )
        )  # fmt: skip


def _pushed(
    conn: Connection, kiosk_id: str, since_seq: int, received_at: dt.datetime
) -> list[dict[str, Any]]:
    ev = models.Event
    close = ev.payload["day_close"]["business_date"].as_string()
    shift = ev.payload["shift"]
    rows = conn.execute(
        select(ev.business_date, close, shift).where(
            ev.kiosk_id == kiosk_id, ev.seq > since_seq, ev.received_at == received_at
        )
    )
    out = []
    for d, closed, sh in rows:
        payload: dict[str, Any] = {}
        if closed:
            payload["day_close"] = {"business_date": closed}
        if isinstance(sh, dict):
            payload["shift"] = sh
        out.append({"business_date": d, "payload": payload})
    return out


def refresh_all(conn: Connection) -> int:
    """Backfill: recompute every hall-day with records, and every follow-up's facts."""
    pairs = set(conn.execute(select(models.Ticket.hall_id, models.Ticket.business_date).distinct()))
    pairs |= set(conn.execute(select(models.DayClose.hall_id, models.DayClose.business_date)))
    for hall_id, d in sorted(pairs):
        refresh_safely(conn, hall_id, dt.date.fromisoformat(d))
    conn.execute(delete(models.DirtyDay))
    store_months(conn, {(hall_id, d[:7]) for hall_id, d in pairs})
    for (hall_id,) in conn.execute(select(models.Followup.hall_id).distinct()).all():
        refresh_followups(conn, hall_id)
    return len(pairs)
