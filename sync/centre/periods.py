"""考核 over a period: a week, month, quarter, year or any date range, for the street, a hall, a window or
a staff member, added up from the stored hall-day figures (``day_store``) — never from the snapshots.

Follow-up rates count the follow-ups *due* in the period whose due day is over (due date before the
as-of day): 回访及时率 and 整改完成率 = done by the due day ÷ due; 承诺件按期办结率 likewise for 承诺件.
A follow-up belongs to the window (and staff member) of the service it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, func, select, text

from sync.centre import models
from sync.centre.figures import SHANGHAI, _halls
from sync.centre.period_math import Acc, rate
from sync.contract.figures import Figures


class PeriodError(ValueError):
    """A period the centre cannot read (the message says what it accepts)."""


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


class Scope(StrEnum):
    STREET = "street"
    HALL = "hall"
    WINDOW = "window"
    STAFF = "staff"
    SERVICE = "service"


class FollowupKind(StrEnum):
    CALLBACK = "callback"
    RECTIFICATION = "rectification"
    PROMISED = "promised"


MAX_DAYS = 366 * 3
FORMATS = "2026-W48（周）、2026-11（月）、2026-Q4（季度）、2026（年）或 2026-11-02..2026-11-20（任意日期）"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date
    token: str
    """How the period is written in URLs and file names."""

    @property
    def label(self) -> str:
        s, e = self.start, self.end
        match self.kind:
            case PeriodKind.WEEK:
                year, week, _ = s.isocalendar()
                return f"{year}年第{week}周（{s:%m-%d}至{e:%m-%d}）"
            case PeriodKind.MONTH:
                return f"{s.year}年{s.month}月"
            case PeriodKind.QUARTER:
                return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
            case PeriodKind.YEAR:
                return f"{s.year}年"
        return f"{s.isoformat()} 至 {e.isoformat()}"

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    t = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", t):
            start = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(PeriodKind.WEEK, start, start + dt.timedelta(days=6), t)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            y, mo = int(m[1]), int(m[2])
            return Period(PeriodKind.MONTH, dt.date(y, mo, 1), _month_end(y, mo), t)
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", t):
            y, q = int(m[1]), int(m[2])
            return Period(PeriodKind.QUARTER, dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), t)
        if m := re.fullmatch(r"(\d{4})", t):
            y = int(m[1])
            return Period(PeriodKind.YEAR, dt.date(y, 1, 1), dt.date(y, 12, 31), t)
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", t):
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if end < start:
                raise PeriodError("the range ends before it starts")
            if (end - start).days > MAX_DAYS:
                raise PeriodError(f"a range covers at most {MAX_DAYS} days")
            return Period(PeriodKind.RANGE, start, end, t)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"no such date in {t!r}") from exc
    raise PeriodError(f"period {t!r} not understood: write {FORMATS}")


@dataclass
class FollowupRates:
    due: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FollowupKind, 0))
    on_time: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FollowupKind, 0))

    def add(self, kind: str, due: int, on_time: int) -> None:
        if kind in self.due:
            self.due[kind] += due
            self.on_time[kind] += on_time

    @property
    def callback_rate(self) -> float | None:
        """回访及时率"""
        return rate(self.on_time[FollowupKind.CALLBACK], self.due[FollowupKind.CALLBACK])

    @property
    def rectification_rate(self) -> float | None:
        """整改完成率"""
        return rate(self.on_time[FollowupKind.RECTIFICATION], self.due[FollowupKind.RECTIFICATION])

    @property
    def promised_rate(self) -> float | None:
        """承诺件按期办结率"""
        return rate(self.on_time[FollowupKind.PROMISED], self.due[FollowupKind.PROMISED])


@dataclass
class Line:
    """One ranked row of a report: a hall, a window, a staff member or a service over the period."""

    scope: Scope
    hall_id: str
    key: str
    label: str
    figures: Figures
    followups: FollowupRates = field(default_factory=FollowupRates)
    rank: int = 0


@dataclass
class Report:
    period: Period
    as_of: dt.date
    scope: Scope
    hall_id: str | None
    key: str | None
    title: str
    figures: Figures
    followups: FollowupRates
    trend: list[tuple[dt.date, Figures]]
    lines: dict[Scope, list[Line]]
    hall_names: dict[str, str]
    generated_at: dt.datetime


def rank_key(f: Figures) -> tuple[float, float, int]:
    """满意率 first, then 评价率, then the work done (a line with no ratings ranks last)."""
    return (
        -(f.satisfaction_rate if f.satisfaction_rate is not None else -1),
        -(f.evaluation_rate if f.evaluation_rate is not None else -1),
        -f.finished,
    )


def ranked(lines: Iterable[Line]) -> list[Line]:
    out = sorted(lines, key=lambda ln: (*rank_key(ln.figures), ln.hall_id, ln.key))
    for i, ln in enumerate(out, 1):
        ln.rank = i
    return out


_SUMMED = [c.name for c in models.DayFigures.__table__.columns if c.name not in ("hall_id", "business_date",
           "scope", "key", "wait_hist", "service_hist") and not c.name.endswith(("_mean_s", "_p90_s", "_rate"))]  # fmt: skip


def _grouped(
    conn: Connection, period: Period, scope: Scope, hall_id: str | None
) -> dict[tuple[str, str], Acc]:
    """Sums per (hall, key) of one scope over the period, added up by the database (no P90: a ranking
    of every window or staff member of the street does not need the distributions)."""
    t = models.DayFigures
    cols = [func.sum(getattr(t, c)).label(c) for c in _SUMMED]
    stmt = select(t.hall_id, t.key, *cols).where(
        t.business_date.between(period.start.isoformat(), period.end.isoformat()), t.scope == scope.value
    )
    if hall_id is not None:
        stmt = stmt.where(t.hall_id == hall_id)
    out: dict[tuple[str, str], Acc] = {}
    for r in conn.execute(stmt.group_by(t.hall_id, t.key)):
        acc = Acc(with_hist=False)
        m = dict(r._mapping)
        m["wait_hist"] = m["service_hist"] = None
        acc.add(m)
        acc.with_hist = False
        out[(r.hall_id, r.key)] = acc
    return out


def _followups(
    conn: Connection, period: Period, as_of: dt.date, hall_id: str | None, by: Any
) -> dict[Any, FollowupRates]:
    t = models.FollowupFact
    last_due = min(period.end, as_of - dt.timedelta(days=1)).isoformat()
    on_time = func.sum(case((and_(t.done_on.is_not(None), t.done_on <= t.due_date), 1), else_=0))
    stmt = select(*by, t.kind, func.count(), on_time).where(
        t.due_date.between(period.start.isoformat(), last_due)
    )
    if hall_id is not None:
        stmt = stmt.where(t.hall_id == hall_id)
    out: dict[Any, FollowupRates] = defaultdict(FollowupRates)
    for r in conn.execute(stmt.group_by(*by, t.kind)):
        key = tuple(r[: len(by)])
        out[key].add(r[len(by)], int(r[len(by) + 1]), int(r[len(by) + 2] or 0))
    return out


def _rows(conn: Connection, period: Period, where: Iterable[Any]) -> list[Any]:
    t = models.DayFigures
    return list(
        conn.execute(
            select(t).where(t.business_date.between(period.start.isoformat(), period.end.isoformat()), *where)
        )
    )


def _as_of(period: Period, as_of: dt.date | None) -> dt.date:
    return as_of or dt.datetime.now(SHANGHAI).date()


def _fresh(conn: Connection, period: Period) -> None:
    """Recompute the period's hall-days that pushes marked (the pages did it already, committed)."""
    from sync.centre import day_store

    day_store.refresh_dirty(conn, period.start, period.end)


def _trend(rows: Iterable[Any]) -> list[tuple[dt.date, Figures]]:
    days: dict[str, Acc] = defaultdict(lambda: Acc(with_hist=False))
    for r in rows:
        m = r._mapping
        days[r.business_date].add({k: v for k, v in m.items() if k not in ("wait_hist", "service_hist")})
    out = []
    for d, acc in sorted(days.items()):
        acc.exact = None
        acc.with_hist = False
        out.append((dt.date.fromisoformat(d), acc.figures()))
    return out


def _window_label(key: str) -> str:
    return f"{key}号窗口"


def _hall_hists(conn: Connection, period: Period) -> dict[str, dict[str, dict[int, int]]]:
    """Each hall's wait and service distributions over the period, added up inside the database (a
    month of 200 halls is 4,400 histograms: merging them in Python took seconds)."""
    each = "jsonb_each_text" if conn.dialect.name == "postgresql" else "json_each"
    cast = "h.value::int" if conn.dialect.name == "postgresql" else "h.value"
    out: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: {"wait_hist": {}, "service_hist": {}})
    for col in ("wait_hist", "service_hist"):
        sql = (
            f"SELECT d.hall_id, h.key, sum({cast}) FROM day_figures d, {each}(d.{col}) h "
            "WHERE d.business_date BETWEEN :s AND :e AND d.scope = 'hall' GROUP BY d.hall_id, h.key"
        )
        for hall, key, n in conn.execute(
            text(sql), {"s": period.start.isoformat(), "e": period.end.isoformat()}
        ):
            out[hall][col][int(key)] = int(n)
    return out


def street_report(conn: Connection, period: Period, as_of: dt.date | None = None) -> Report:
    as_of = _as_of(period, as_of)
    _fresh(conn, period)
    names = {h: m["name"] for h, m in _halls(conn).items()}
    t = models.DayFigures
    plain = [c for c in t.__table__.columns if c.name not in ("wait_hist", "service_hist")]
    rows = list(
        conn.execute(
            select(*plain).where(
                t.business_date.between(period.start.isoformat(), period.end.isoformat()),
                t.scope == Scope.HALL.value,
            )
        )
    )
    per_hall: dict[str, Acc] = defaultdict(Acc)
    for r in rows:
        per_hall[r.hall_id].add(dict(r._mapping))
    street = Acc()
    for r in rows:  # the street's counts and sums: every hall-day row, none of them exact on its own
        street.add(dict(r._mapping))
    street.exact = None
    street.with_hist = True
    for hall, hists in _hall_hists(conn, period).items():
        acc = per_hall.get(hall)
        if acc is not None and acc.rows > 1:  # one hall-day alone keeps its exact P90
            acc.wait_hist, acc.service_hist, acc.with_hist = hists["wait_hist"], hists["service_hist"], True
        for name in ("wait_hist", "service_hist"):
            into = getattr(street, name)
            for b, n in hists[name].items():
                into[b] = into.get(b, 0) + n
    fu_hall = _followups(conn, period, as_of, None, [models.FollowupFact.hall_id])
    fu_street = FollowupRates()
    for rates in fu_hall.values():
        for k in FollowupKind:
            fu_street.add(k, rates.due[k], rates.on_time[k])
    halls = [
        Line(Scope.HALL, h, "", names.get(h, h), acc.figures(), fu_hall.get((h,), FollowupRates()))
        for h, acc in per_hall.items()
    ]
    fu_win = _followups(
        conn, period, as_of, None, [models.FollowupFact.hall_id, models.FollowupFact.window_number]
    )
    windows = [
        Line(Scope.WINDOW, h, k, f"{names.get(h, h)} {_window_label(k)}", acc.figures(), fu_win.get((h, k), FollowupRates()))
        for (h, k), acc in _grouped(conn, period, Scope.WINDOW, None).items()
    ]  # fmt: skip
    fu_staff = _followups(
        conn, period, as_of, None, [models.FollowupFact.hall_id, models.FollowupFact.staff_id]
    )
    staff_names = _staff_names(conn, None)
    staff = [
        Line(Scope.STAFF, h, k, f"{staff_names.get((h, k), k)}（{names.get(h, h)}）", acc.figures(),
             fu_staff.get((h, k), FollowupRates()))
        for (h, k), acc in _grouped(conn, period, Scope.STAFF, None).items()
    ]  # fmt: skip
    return Report(
        period, as_of, Scope.STREET, None, None, "全街道", street.figures(), fu_street, _trend(rows),
        {Scope.HALL: ranked(halls), Scope.WINDOW: ranked(windows), Scope.STAFF: ranked(staff)},
        names, dt.datetime.now(dt.UTC),
    )  # fmt: skip


def hall_report(conn: Connection, period: Period, hall_id: str, as_of: dt.date | None = None) -> Report:
    as_of = _as_of(period, as_of)
    _fresh(conn, period)
    names = {h: m["name"] for h, m in _halls(conn).items()}
    rows = _rows(conn, period, [models.DayFigures.hall_id == hall_id])
    hall = Acc()
    by_key: dict[tuple[str, str], Acc] = defaultdict(Acc)
    hall_rows = []
    for r in rows:
        m = r._mapping
        if r.scope == Scope.HALL.value:
            hall.add(m)
            hall_rows.append(r)
        else:
            by_key[(r.scope, r.key)].add(m)
    t = models.FollowupFact
    fu = _followups(conn, period, as_of, hall_id, [t.hall_id]).get((hall_id,), FollowupRates())
    fu_win = _followups(conn, period, as_of, hall_id, [t.window_number])
    fu_staff = _followups(conn, period, as_of, hall_id, [t.staff_id])
    staff_names = _staff_names(conn, hall_id)
    service_names = _service_names(conn, hall_id, period)
    lines: dict[Scope, list[Line]] = {Scope.WINDOW: [], Scope.STAFF: [], Scope.SERVICE: []}
    for (scope, key), acc in by_key.items():
        s = Scope(scope)
        if s == Scope.WINDOW:
            line = Line(
                s, hall_id, key, _window_label(key), acc.figures(), fu_win.get((key,), FollowupRates())
            )
        elif s == Scope.STAFF:
            line = Line(s, hall_id, key, staff_names.get((hall_id, key), key), acc.figures(),
                        fu_staff.get((key,), FollowupRates()))  # fmt: skip
        else:
            line = Line(s, hall_id, key, service_names.get(key, key), acc.figures())
        lines[s].append(line)
    for s in (Scope.WINDOW, Scope.STAFF):
        lines[s] = ranked(lines[s])
    lines[Scope.SERVICE].sort(key=lambda ln: ln.key)
    return Report(
        period, as_of, Scope.HALL, hall_id, None, names.get(hall_id, hall_id), hall.figures(), fu,
        _trend(hall_rows), lines, names, dt.datetime.now(dt.UTC),
    )  # fmt: skip


def member_report(
    conn: Connection, period: Period, hall_id: str, scope: Scope, key: str, as_of: dt.date | None = None
) -> Report:
    """One window's or one staff member's period (the window's staff, or the staff member's windows,
    are not split further: the figures are theirs as a whole)."""
    as_of = _as_of(period, as_of)
    _fresh(conn, period)
    names = {h: m["name"] for h, m in _halls(conn).items()}
    t = models.DayFigures
    rows = _rows(conn, period, [t.hall_id == hall_id, t.scope == scope.value, t.key == key])
    acc = Acc()
    for r in rows:
        acc.add(r._mapping)
    f = models.FollowupFact
    col = f.window_number if scope == Scope.WINDOW else f.staff_id
    fu = _followups(conn, period, as_of, hall_id, [col]).get((key,), FollowupRates())
    if scope == Scope.WINDOW:
        title = f"{names.get(hall_id, hall_id)} {_window_label(key)}"
    else:
        title = f"{_staff_names(conn, hall_id).get((hall_id, key), key)}（{names.get(hall_id, hall_id)}）"
    return Report(
        period, as_of, scope, hall_id, key, title, acc.figures(), fu, _trend(rows), {}, names,
        dt.datetime.now(dt.UTC),
    )  # fmt: skip


def _service_names(conn: Connection, hall_id: str, period: Period) -> dict[str, str]:
    out: dict[str, str] = {}
    for (names,) in conn.execute(
        select(models.HallDay.service_names).where(
            models.HallDay.hall_id == hall_id,
            models.HallDay.business_date.between(period.start.isoformat(), period.end.isoformat()),
        )
    ):
        out.update(names or {})
    return out


def _staff_names(conn: Connection, hall_id: str | None) -> dict[tuple[str, str], str]:
    """工号 → name, as the hall's roster gave them (staff sign-in); the 工号 alone when unknown."""
    from sync.centre import staff_names

    return staff_names.names(conn, hall_id)
