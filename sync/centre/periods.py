"""考核 over a period: a week, month, quarter, year or any date range, for the street, a hall, a window or
a staff member, added up from the stored hall-day figures (``day_store``) — never from the snapshots.

Follow-up rates count the follow-ups *due* in the period whose due day is over (due date before the
as-of day): 回访及时率 and 整改完成率 = done by the due day ÷ due; 承诺件按期办结率 likewise for 承诺件.
A follow-up belongs to the window (and staff member) of the service it came from.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from sync.centre import models, range_plan, street_sums
from sync.centre.figures import SHANGHAI, _halls
from sync.centre.period_math import Acc, rate
from sync.contract.figures import Figures

log = logging.getLogger("street_centre.figures")


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


_KINDS = tuple(FollowupKind)


@dataclass
class FollowupRates:
    due: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))
    on_time: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))

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


def _last_due(period: Period, as_of: dt.date) -> dt.date:
    """The last due day a period's rates count: its end, or the day before ``as_of`` if earlier."""
    return min(period.end, as_of - dt.timedelta(days=1))


def _followup_rows(
    conn: Connection, first: dt.date, last: dt.date, hall_id: str | None, by: Any
) -> Iterable[tuple[tuple[Any, ...], str, int, int]]:
    """(key ``by``, kind, due, done by the due day) of the follow-up facts due from ``first`` to ``last``."""
    t = models.FollowupFact
    on_time = func.sum(case((and_(t.done_on.is_not(None), t.done_on <= t.due_date), 1), else_=0))
    stmt = select(*by, t.kind, func.count(), on_time).where(
        t.due_date.between(first.isoformat(), last.isoformat())
    )
    if hall_id is not None:
        stmt = stmt.where(t.hall_id == hall_id)
    n = len(by)
    for r in conn.execute(stmt.group_by(*by, t.kind)):
        yield tuple(r[:n]), r[n], int(r[n + 1]), int(r[n + 2] or 0)


def _followups(
    conn: Connection, period: Period, as_of: dt.date, hall_id: str | None, by: Any
) -> dict[Any, FollowupRates]:
    out: dict[Any, FollowupRates] = defaultdict(FollowupRates)
    for key, kind, due, on_time in _followup_rows(conn, period.start, _last_due(period, as_of), hall_id, by):
        out[key].add(kind, due, on_time)
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


def _whole_months(period: Period) -> tuple[list[str], list[tuple[dt.date, dt.date]]]:
    """The calendar months the period covers whole (``YYYY-MM``), and the stray ranges around them."""
    months, stray = [], []
    for month, covered, left_out in range_plan.month_spans(period.start, period.end):
        if left_out:
            stray.append(covered)
        else:
            months.append(month)
    return months, stray


def _street_followup_rows(
    conn: Connection, period: Period, as_of: dt.date
) -> Iterable[tuple[tuple[str, str, str | None], str, int, int]]:
    """((hall, window, staff), kind, due, on time) over the period: the stored month counts of the whole
    months whose every due day is over, and the facts of the days around them."""
    last = _last_due(period, as_of)
    months, stray = _whole_months(period)
    counted = [mo for mo in months if _month_end(int(mo[:4]), int(mo[5:])) <= last]
    for mo in months:
        if mo not in counted:
            y, mm = int(mo[:4]), int(mo[5:])
            stray.append((dt.date(y, mm, 1), _month_end(y, mm)))
    f = models.FollowupFact
    for first, end in stray:
        if first <= min(end, last):
            yield from _followup_rows(
                conn, first, min(end, last), None, [f.hall_id, f.window_number, f.staff_id]
            )
    m = models.FollowupMonth
    for i in range(0, len(counted), 500):
        for hall, window, staff, kind, due, on_time in conn.execute(
            select(m.hall_id, m.window_number, m.staff_id, m.kind, m.due, m.on_time).where(
                m.month.in_(counted[i : i + 500])
            )
        ):
            yield (hall, window, staff or None), kind, due, on_time


def _followups_by_member(
    conn: Connection, period: Period, as_of: dt.date
) -> tuple[dict[Any, FollowupRates], dict[Any, FollowupRates], dict[Any, FollowupRates]]:
    """The follow-up rates of every hall, hall window and hall staff member from one pass."""
    halls: dict[Any, FollowupRates] = defaultdict(FollowupRates)
    windows: dict[Any, FollowupRates] = defaultdict(FollowupRates)
    staff: dict[Any, FollowupRates] = defaultdict(FollowupRates)
    for (hall, window, member), kind, due, on_time in _street_followup_rows(conn, period, as_of):
        halls[(hall,)].add(kind, due, on_time)
        windows[(hall, window)].add(kind, due, on_time)
        staff[(hall, member)].add(kind, due, on_time)
    return halls, windows, staff


_StreetSums = tuple[
    dict[str, Acc], street_sums.Hists, list[tuple[tuple[Any, ...], Acc]], list[tuple[tuple[Any, ...], Acc]]
]


def _street_sums(conn: Connection, period: Period, plan: range_plan.RangePlan) -> _StreetSums:
    """Per hall (with its distributions), per hall window and per hall staff member, as ``plan`` reads."""
    span = (period.start, period.end)
    per_hall = {h: acc for (h,), acc in street_sums.summed(conn, span, plan, Scope.HALL, ["hall_id"])}
    hists = street_sums.hall_hists(conn, plan)
    by = ["hall_id", "key"]
    windows = street_sums.summed(conn, span, plan, Scope.WINDOW, by, exact=False)
    staff = street_sums.summed(conn, span, plan, Scope.STAFF, by, exact=False)
    return per_hall, hists, windows, staff


def street_report(
    conn: Connection, period: Period, as_of: dt.date | None = None, use_months: bool = True
) -> Report:
    """Every sum is added up by the database (per hall, per day, per window, per staff member) and each
    hall's distributions come from the stored month sums (``range_plan``), so the request reads a few
    thousand rows whatever the number of hall-days. ``use_months=False`` reads the day rows alone."""
    as_of = _as_of(period, as_of)
    span = (period.start, period.end)
    _fresh(conn, period)
    names = {h: m["name"] for h, m in _halls(conn).items()}
    try:
        sums = _street_sums(conn, period, range_plan.plan(period.start, period.end, use_months))
    except street_sums.MonthRowsStale as exc:  # never by design; the day rows are the truth
        log.warning(
            "period %s: the month rows do not match their days (%s): read from the days", period.token, exc
        )
        sums = _street_sums(conn, period, range_plan.plan(period.start, period.end, use_months=False))
    per_hall, hall_hists, window_sums, staff_sums = sums
    street = Acc()
    for each in per_hall.values():  # the street's counts and sums
        street.add({**each.counts, **{f"level_{lv}": n for lv, n in each.levels.items()}, **each.sums})
    street.exact = None
    street.with_hist = True
    for hall, hists in hall_hists.items():
        acc = per_hall.get(hall)
        if acc is not None and acc.rows > 1:  # one hall-day alone keeps its exact P90
            acc.wait_hist, acc.service_hist, acc.with_hist = hists["wait_hist"], hists["service_hist"], True
        for name in ("wait_hist", "service_hist"):
            into = getattr(street, name)
            for b, n in hists[name].items():
                into[b] = into.get(b, 0) + n
    fu_hall, fu_win, fu_staff = _followups_by_member(conn, period, as_of)
    fu_street = FollowupRates()
    for rates in fu_hall.values():
        for k in FollowupKind:
            fu_street.add(k, rates.due[k], rates.on_time[k])
    halls = [
        Line(Scope.HALL, h, "", names.get(h, h), acc.figures(), fu_hall.get((h,), FollowupRates()))
        for h, acc in per_hall.items()
    ]
    windows = [
        Line(Scope.WINDOW, h, k, f"{names.get(h, h)} {_window_label(k)}", acc.figures(), fu_win.get((h, k), FollowupRates()))
        for (h, k), acc in window_sums
    ]  # fmt: skip
    staff_names = _staff_names(conn, None)
    staff = [
        Line(Scope.STAFF, h, k, f"{staff_names.get((h, k), k)}（{names.get(h, h)}）", acc.figures(),
             fu_staff.get((h, k), FollowupRates()))
        for (h, k), acc in staff_sums
    ]  # fmt: skip
    trend = [
        (dt.date.fromisoformat(d), acc.figures())
        for (d,), acc in sorted(
            street_sums.summed(
                conn,
                span,
                range_plan.plan(*span, use_months=False),
                Scope.HALL,
                ["business_date"],
                exact=False,
            )
        )
    ]
    return Report(
        period, as_of, Scope.STREET, None, None, "全街道", street.figures(), fu_street, trend,
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
