"""The street's figures over a period added up inside the database, as a ``range_plan.RangePlan`` says:
whole months from their month rows, mostly covered months from their month rows less the left-out days'
rows, and the other days from their day rows.

A street request must read a few thousand rows whatever the number of hall-days (a month of 200 halls is
4,400 day rows per scope, each with two histograms): that is why the months are stored, and why a range
that covers most of a month takes a few days off the month row rather than adding up all the others.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, literal, select, text, union_all

from sync.centre import models
from sync.centre.day_store import COUNTS, MONTH_SUMMED
from sync.centre.period_math import SUMS, Acc
from sync.centre.range_plan import DayRange, RangePlan

Hists = dict[str, dict[str, dict[int, int]]]
"""hall → ``wait_hist`` / ``service_hist`` → 10-second bucket → count."""

SUM_DECIMALS = 6
"""Waits and services are whole microseconds: rounding the added seconds there gives the same sum
whatever order the database added (or took off) the rows in."""


class MonthRowsStale(Exception):
    """A month row less its left-out days came out below zero: it does not match its day rows, so the
    period must be read from the day rows."""


def _day_part(by: list[str], scope: str, days: DayRange, sign: int) -> Any:
    d = models.DayFigures
    summed = [getattr(d, c) if sign > 0 else (-getattr(d, c)).label(c) for c in MONTH_SUMMED]
    return select(
        *[getattr(d, c) for c in by],
        literal(sign).label("days"),
        literal(int(sign < 0)).label("trimmed"),
        *summed,
        d.wait_p90_s,
        d.service_p90_s,
    ).where(d.business_date.between(days[0].isoformat(), days[1].isoformat()), d.scope == scope)


def _month_part(by: list[str], scope: str, months: list[str], trimmed: bool) -> Any:
    m = models.MonthFigures
    return select(
        *[getattr(m, c) for c in by],
        m.days,
        literal(int(trimmed)).label("trimmed"),
        *[getattr(m, c) for c in MONTH_SUMMED],
        m.wait_p90_s,
        m.service_p90_s,
    ).where(m.month.in_(months), m.scope == scope)


def _parts(by: list[str], scope: str, plan: RangePlan) -> list[Any]:
    parts = [_day_part(by, scope, r, 1) for r in plan.days]
    if plan.months:
        parts.append(_month_part(by, scope, list(plan.months), trimmed=False))
    if plan.trimmed:
        parts.append(_month_part(by, scope, [t.month for t in plan.trimmed], trimmed=True))
        parts += [_day_part(by, scope, r, -1) for t in plan.trimmed for r in t.left_out]
    return parts


def summed(
    conn: Connection,
    period: DayRange,
    plan: RangePlan,
    scope: str,
    by: list[str],
    exact: bool = True,
) -> list[tuple[tuple[Any, ...], Acc]]:
    """One scope's figures over the period, grouped ``by`` some of its columns (``hall_id``, ``key``):
    counts, sums and how many hall-days each group has. With ``exact`` a group of one hall-day keeps its
    exact P90s; otherwise (a ranking of every window or staff member, the trend's days) no P90."""
    parts = _parts(by, scope, plan)
    u = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    stmt = select(
        *[u.c[c] for c in by],
        func.sum(u.c.days),
        func.max(u.c.trimmed),
        *[func.sum(u.c[c]) for c in MONTH_SUMMED],
        func.min(u.c.wait_p90_s),
        func.min(u.c.service_p90_s),
    ).group_by(*[u.c[c] for c in by])
    out = []
    one_day_trimmed = []
    n = len(by)
    for r in conn.execute(stmt):
        days, trimmed = int(r[n]), bool(r[n + 1])
        sums = {c: v or 0 for c, v in zip(MONTH_SUMMED, r[n + 2 : -2], strict=True)}
        sums.update({c: round(float(sums[c]), SUM_DECIMALS) for c in SUMS})
        if days < 0 or any(v < 0 for v in sums.values()):
            raise MonthRowsStale(f"{scope} {tuple(r[:n])}: a month row less its days is below zero")
        if days == 0:
            if any(sums.values()):
                raise MonthRowsStale(f"{scope} {tuple(r[:n])}: no day left, but figures")
            continue  # only on left-out days: the period has none of it
        acc = Acc(
            counts={c: int(sums[c]) for c in COUNTS},
            levels={lv: int(sums[f"level_{lv}"]) for lv in range(1, 6)},
            sums={c: float(sums[c]) for c in SUMS},
            rows=days,
            with_hist=False,
        )
        if exact and days == 1:
            acc.exact = {"wait_p90_s": r[-2], "service_p90_s": r[-1]}
            if trimmed:  # the month row has no P90 of its own: the one day's is on its day row
                one_day_trimmed.append((tuple(r[:n]), acc))
        out.append((tuple(r[:n]), acc))
    if one_day_trimmed:
        _exact_p90s(conn, period, scope, by, one_day_trimmed)
    return out


def _exact_p90s(
    conn: Connection, period: DayRange, scope: str, by: list[str], groups: list[tuple[tuple[Any, ...], Acc]]
) -> None:
    """Set the exact P90s of the groups with one hall-day, read from that day row (a few at most: a
    hall with a single day in a period that covers most of a month)."""
    d = models.DayFigures
    halls = sorted({key[by.index("hall_id")] for key, _ in groups}) if "hall_id" in by else None
    stmt = select(*[getattr(d, c) for c in by], d.wait_p90_s, d.service_p90_s).where(
        d.business_date.between(period[0].isoformat(), period[1].isoformat()), d.scope == scope
    )
    if halls is not None:
        stmt = stmt.where(d.hall_id.in_(halls))
    rows: dict[tuple[Any, ...], list[tuple[Any, Any]]] = defaultdict(list)
    for r in conn.execute(stmt):
        rows[tuple(r[: len(by)])].append((r[-2], r[-1]))
    for key, acc in groups:
        if len(rows[key]) != 1:
            raise MonthRowsStale(f"{scope} {key}: {len(rows[key])} day rows where the months say one")
        wait, service = rows[key][0]
        acc.exact = {"wait_p90_s": wait, "service_p90_s": service}


def hall_hists(conn: Connection, plan: RangePlan) -> Hists:
    """Each hall's wait and service distributions over the period, in one statement (one snapshot of
    the month rows and their days): the month rows' histograms as stored, and per hall the days' added
    up and the left-out days' taken off, bucket by bucket, inside the database (a few rows per hall, not
    one per bucket: 200 halls have some 80,000 buckets)."""
    pg = conn.dialect.name == "postgresql"
    each = "jsonb_each_text" if pg else "json_each"
    value = "(h.value::int)" if pg else "h.value"
    as_object = "jsonb_object_agg" if pg else "json_group_object"
    parts: list[str] = []
    params: dict[str, str] = {}
    months = [*plan.months, *(t.month for t in plan.trimmed)]
    if months:
        params.update({f"m{i}": mo for i, mo in enumerate(months)})
        in_months = ", ".join(f":m{i}" for i in range(len(months)))
        parts += [
            f"SELECT t.hall_id AS hall_id, '{col}' AS col, t.{col} AS hist FROM month_figures t "
            f"WHERE t.scope = 'hall' AND t.month IN ({in_months})"
            for col in ("wait_hist", "service_hist")
        ]
    day_parts = []
    ranges = [("", r) for r in plan.days] + [("-", r) for t in plan.trimmed for r in t.left_out]
    for i, (sign, (first, last)) in enumerate(ranges):
        params.update({f"s{i}": first.isoformat(), f"e{i}": last.isoformat()})
        day_parts += [
            f"SELECT t.hall_id AS hall_id, '{col}' AS col, h.key AS b, {sign}{value} AS n "
            f"FROM day_figures t, {each}(t.{col}) h "
            f"WHERE t.scope = 'hall' AND t.business_date BETWEEN :s{i} AND :e{i}"
            for col in ("wait_hist", "service_hist")
        ]
    if day_parts:
        buckets = f"SELECT hall_id, col, b, sum(n) AS n FROM ({' UNION ALL '.join(day_parts)}) d GROUP BY hall_id, col, b"
        parts.append(
            f"SELECT hall_id, col, {as_object}(b, n) AS hist FROM ({buckets}) b GROUP BY hall_id, col"
        )
    added: dict[str, dict[str, dict[int, int]]] = {}
    for hall, col, hist in conn.execute(text(" UNION ALL ".join(parts)), params):
        into = added.setdefault(hall, {"wait_hist": {}, "service_hist": {}})[col]
        for bucket, count in (json.loads(hist) if isinstance(hist, str) else hist or {}).items():
            into[int(bucket)] = into.get(int(bucket), 0) + int(count)
    out: Hists = {}
    for hall, hists in added.items():
        for col, hist in hists.items():
            if any(n < 0 for n in hist.values()):
                raise MonthRowsStale(f"hall {hall}: a {col} bucket below zero")
            kept = {
                b: n for b, n in hist.items() if n > 0
            }  # a bucket only left-out days had is not the period's
            if kept:
                out.setdefault(hall, {"wait_hist": {}, "service_hist": {}})[col] = kept
    return out
