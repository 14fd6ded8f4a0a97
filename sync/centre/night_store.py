"""The street's night read from the stored hall-day figures (``day_store``), in a handful of queries
whatever the number of halls: no snapshot is decoded and no figure recomputed on a page request."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, case, func, select

from sync.centre import day_store, models
from sync.centre.figures import SHANGHAI, HallNight, Hourly, StreetNight, _halls
from sync.centre.followups import FollowupView, views
from sync.centre.period_math import Acc
from sync.contract.figures import DaySummary, Figures


def _hourly(stored: dict[str, Any] | None) -> Hourly:
    if not stored:
        return Hourly()
    arrivals = {int(h): int(n) for h, n in stored.get("arrivals", {}).items()}
    n = stored.get("wait_n", {})
    wait = {int(h): round(s / n[h], 1) for h, s in stored.get("wait_sum_min", {}).items() if n.get(h)}
    return Hourly(arrivals, wait)


def _figures(row: Any) -> Figures:
    acc = Acc()
    acc.add(row._mapping)
    return acc.figures()


def _tallies(conn: Connection, day: str, as_of: dt.date) -> dict[str, dict[str, int]]:
    """Per hall, from the follow-up facts (done = by the kiosk or by a result the centre recorded)."""
    f = models.FollowupFact
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TALLIES, 0))
    overdue = conn.execute(
        select(f.hall_id, f.kind, func.count())
        .where(f.done_on.is_(None), f.due_date < as_of.isoformat())
        .group_by(f.hall_id, f.kind)
    )
    for hall, kind, n in overdue:
        out[hall]["overdue_promised" if kind == "promised" else "overdue_other"] += n
    late = case((f.due_date < as_of.isoformat(), 1), else_=0)
    night = conn.execute(
        select(f.hall_id, func.count(), func.sum(late))
        .where(f.business_date == day, f.kind != "promised", f.done_on.is_(None))
        .group_by(f.hall_id)
    )
    for hall, n, n_late in night:
        out[hall]["followups_open"] = n
        out[hall]["followups_late"] = int(n_late or 0)
    return out


TALLIES = ("overdue_promised", "overdue_other", "followups_open", "followups_late")


def _overdue(conn: Connection, as_of: dt.date, hall_id: str | None) -> dict[str, list[FollowupView]]:
    stmt = select(models.Followup).where(
        models.Followup.status == "open", models.Followup.due_date < as_of.isoformat()
    )
    if hall_id is not None:
        stmt = stmt.where(models.Followup.hall_id == hall_id)
    rows = list(conn.execute(stmt))
    out: dict[str, list[FollowupView]] = defaultdict(list)
    for v in views(conn, rows):  # type: ignore[arg-type]
        if v.overdue(as_of):
            out[v.hall_id].append(v)
    for lst in out.values():
        lst.sort(key=lambda v: (str(v.data.get("due_date")), v.data["id"]))
    return out


def _followups_of_day(
    conn: Connection, day: str, hall_id: str | None
) -> dict[tuple[str, str], list[FollowupView]]:
    """回访 and 整改 of the day's dissatisfied ratings, by (hall, rating id)."""
    stmt = select(models.Followup).where(
        models.Followup.business_date == day, models.Followup.kind != "promised"
    )
    if hall_id is not None:
        stmt = stmt.where(models.Followup.hall_id == hall_id)
    rows = list(conn.execute(stmt))
    out: dict[tuple[str, str], list[FollowupView]] = defaultdict(list)
    for v in views(conn, rows):  # type: ignore[arg-type]
        out[(v.hall_id, str(v.data.get("rating_id")))].append(v)
    return out


def stored_night(
    conn: Connection, day: dt.date, as_of: dt.date | None = None, detail: bool | str = True
) -> StreetNight:
    as_of = as_of or max(day, dt.datetime.now(SHANGHAI).date())
    day_store.refresh_dirty(conn, day, day)  # (the pages did it already, in a transaction of their own)
    d = day.isoformat()
    meta = _halls(conn)
    hall_days = {
        r.hall_id: r for r in conn.execute(select(models.HallDay).where(models.HallDay.business_date == d))
    }
    for hall_id in hall_days:
        meta.setdefault(hall_id, {"name": hall_id, "kiosks": [], "last_push": None})
    rows: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    t = models.DayFigures
    # one hall-day row keeps its exact 日结 figures: only the street's P90 needs the distributions
    plain = [c for c in t.__table__.columns if c.name not in ("wait_hist", "service_hist")]
    for r in conn.execute(select(*plain).where(t.business_date == d, t.scope != "staff")):
        rows[r.hall_id][r.scope].append(r)
    hists = {
        h: {"wait_hist": w, "service_hist": sv}
        for h, w, sv in conn.execute(
            select(t.hall_id, t.wait_hist, t.service_hist).where(t.business_date == d, t.scope == "hall")
        )
    }
    only = detail if isinstance(detail, str) else None
    listed = detail is not False
    overdue = _overdue(conn, as_of, only) if listed else {}
    fus = _followups_of_day(conn, d, only) if listed else {}
    tallies = _tallies(conn, d, as_of)
    street = Acc()
    arrivals: dict[int, int] = defaultdict(int)
    wait_sum: dict[int, float] = defaultdict(float)
    wait_n: dict[int, int] = defaultdict(int)
    halls: list[HallNight] = []
    for hall_id, m in sorted(meta.items()):
        hd = hall_days.get(hall_id)
        scopes = rows.get(hall_id, {})
        hall_rows = scopes.get("hall", [])
        for r in hall_rows:
            street.add({**r._mapping, **hists.get(hall_id, {})})
        summary = DaySummary(
            hall_id=hall_id,
            business_date=day,
            hall=_figures(hall_rows[0]) if hall_rows else Figures(),
            windows={int(r.key): _figures(r) for r in scopes.get("window", [])},
            services={r.key: _figures(r) for r in scopes.get("service", [])},
            dissatisfied=list(hd.dissatisfied) if hd else [],
            followups_open=0,
            followups_overdue=0,
            promised_overdue=0,
        )
        late = overdue.get(hall_id, [])
        dissatisfied = []
        for item in summary.dissatisfied:
            found = sorted(fus.get((hall_id, item["rating_id"]), []), key=lambda v: str(v.data.get("kind")))
            dissatisfied.append({**item, "followups": found, "overdue": any(v.overdue(as_of) for v in found)})
        if hd is not None:
            for h, n in hd.hourly.get("arrivals", {}).items():
                arrivals[int(h)] += int(n)
            for h, s in hd.hourly.get("wait_sum_min", {}).items():
                wait_sum[int(h)] += float(s)
                wait_n[int(h)] += int(hd.hourly["wait_n"][h])
        halls.append(
            HallNight(
                hall_id=hall_id,
                hall_name=m["name"],
                summary=summary,
                hourly=_hourly(hd.hourly if hd else None),
                synced=bool(hd and hd.closed),
                matches_kiosk=hd.matches_kiosk if hd else None,
                last_push_at=m["last_push"],
                clock_skew_s=m.get("skew"),
                kiosks=sorted(m["kiosks"]),
                dissatisfied=dissatisfied,
                overdue_promised=[v for v in late if v.data.get("kind") == "promised"],
                overdue_followups=[v for v in late if v.data.get("kind") != "promised"],
                service_names=dict(hd.service_names) if hd else {},
                tallies=dict(tallies.get(hall_id) or dict.fromkeys(TALLIES, 0)),
                error=hd.error if hd else None,
            )
        )
    street_hourly = Hourly(
        dict(arrivals), {h: round(s / wait_n[h], 1) for h, s in wait_sum.items() if wait_n[h]}
    )
    return StreetNight(day, as_of, halls, street.figures(), street_hourly, dt.datetime.now(dt.UTC))
