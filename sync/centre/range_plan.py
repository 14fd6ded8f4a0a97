"""Which stored rows a period's street figures add up: month rows, month rows less some days, or days.

A month the period covers whole reads its ``month_figures`` row. A month it covers mostly reads the
month row less the rows of the days the period leaves out (sums subtract; histograms subtract bucket by
bucket), when that reads fewer day rows than adding up the days it covers. Any other stretch reads its
day rows. The month rows are rewritten in the same transaction as their days (``day_store.store_months``),
so each way gives the same figures; ``use_months=False`` reads day rows alone (the reference the others
must equal, and the way back when a month row turns out not to match its days).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

DayRange = tuple[dt.date, dt.date]
"""First and last day, both included."""


@dataclass(frozen=True)
class TrimmedMonth:
    month: str
    """``YYYY-MM``"""
    left_out: tuple[DayRange, ...]
    """The month's days outside the period, whose rows are taken off the month row."""


@dataclass(frozen=True)
class RangePlan:
    months: tuple[str, ...] = ()
    trimmed: tuple[TrimmedMonth, ...] = ()
    days: tuple[DayRange, ...] = ()

    @property
    def subtracts(self) -> bool:
        return bool(self.trimmed)


def _days(r: DayRange) -> int:
    return (r[1] - r[0]).days + 1


def month_spans(start: dt.date, end: dt.date) -> Iterator[tuple[str, DayRange, tuple[DayRange, ...]]]:
    """Each calendar month from ``start`` to ``end``: ``YYYY-MM``, the days of it covered, and the days of
    it left out (none for a month covered whole)."""
    one = dt.timedelta(days=1)
    d = start
    while d <= end:
        first = d.replace(day=1)
        last = d.replace(day=calendar.monthrange(d.year, d.month)[1])
        covered = (d, min(last, end))
        left_out = tuple(r for r in ((first, d - one), (covered[1] + one, last)) if r[0] <= r[1])
        yield f"{d:%Y-%m}", covered, left_out
        d = last + one


def plan(start: dt.date, end: dt.date, use_months: bool = True) -> RangePlan:
    if not use_months:
        return RangePlan(days=((start, end),))
    months: list[str] = []
    trimmed: list[TrimmedMonth] = []
    days: list[DayRange] = []
    for month, covered, left_out in month_spans(start, end):
        if not left_out:
            months.append(month)
        # The month row and the left-out days' rows: fewer rows than the covered days'.
        elif sum(_days(r) for r in left_out) + 1 < _days(covered):
            trimmed.append(TrimmedMonth(month, left_out))
        else:
            days.append(covered)
    return RangePlan(tuple(months), tuple(trimmed), tuple(days))
