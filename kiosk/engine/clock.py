"""Time: instants are stored in UTC; the business day is the date in the hall's timezone."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol
from zoneinfo import ZoneInfo

UTC = dt.UTC


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class ManualClock:
    """A clock tests and the day simulator move by hand."""

    def __init__(self, start: dt.datetime):
        self._now = _require_aware(start)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, instant: dt.datetime) -> None:
        with self._lock:
            self._now = _require_aware(instant)

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now


def _require_aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: give an explicit timezone")
    return instant.astimezone(UTC)


def business_date(instant: dt.datetime, tz: str) -> dt.date:
    """The hall's business day. Never the UTC date: 00:30 in Shanghai is still the previous UTC day."""
    return _require_aware(instant).astimezone(ZoneInfo(tz)).date()


def local(instant: dt.datetime, tz: str) -> dt.datetime:
    return _require_aware(instant).astimezone(ZoneInfo(tz))


def utc_from_local(day: dt.date, at: dt.time, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored is UTC, so re-attach it."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OffsetClock:
    """Real time, shifted: the demo runs "inside opening hours" whatever the hour is, and a day
    simulator can run faster than real time (`speed`)."""

    def __init__(self, start: dt.datetime, speed: float = 1.0):
        import time

        self._time = time.monotonic
        self._origin = _require_aware(start)
        self._t0 = self._time()
        self.speed = speed

    def now(self) -> dt.datetime:
        return self._origin + dt.timedelta(seconds=(self._time() - self._t0) * self.speed)
