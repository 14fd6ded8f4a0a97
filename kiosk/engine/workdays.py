"""Working days on the Chinese statutory calendar (holidays and 调休 make-up workdays).

`chinese_calendar` knows the State Council's published years. For a year it does not know yet, the
hall's `calendar` corrections (or the centre's pushed calendar) apply and weekends are assumed;
`covered()` lets staff screens warn about that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar


class WorkCalendar:
    def __init__(self, extra_holidays: Iterable[dt.date] = (), extra_workdays: Iterable[dt.date] = ()):
        self._holidays = frozenset(extra_holidays)
        self._workdays = frozenset(extra_workdays)

    def covered(self, day: dt.date) -> bool:
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: dt.date) -> bool:
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (start itself not counted).

        0 days means the same day if it is a working day, else the next working day.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start
        if days == 0:
            while not self.is_workday(day):
                day += dt.timedelta(days=1)
            return day
        remaining = days
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day
