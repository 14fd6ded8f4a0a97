"""The automatic close moment on aware datetimes: a hall open until 23:45 or 23:59 is not closed at
start-up, and its day closes after midnight."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.engine.nightly import close_moment, day_due_for_close, nightly_close_due

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str, tz: ZoneInfo = SH) -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hhmm}", "%Y-%m-%d %H:%M").replace(tzinfo=tz)


def test_close_moment_of_a_late_hall_is_after_midnight() -> None:
    moment = close_moment(dt.date(2026, 11, 26), dt.time(23, 45), "Asia/Shanghai")
    assert moment == at("2026-11-27", "00:15")
    assert moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    ("now", "ends", "due"),
    [
        # The sample hall (last session ends 17:30): today after 18:00, yesterday before.
        (("2026-11-26", "17:59"), [dt.time(12), dt.time(17, 30)], "2026-11-25"),
        (("2026-11-26", "18:00"), [dt.time(12), dt.time(17, 30)], "2026-11-26"),
        # A hall open until 23:45: during the evening session the day is NOT due (today's main closed it).
        (("2026-11-26", "09:00"), [dt.time(23, 45)], "2026-11-25"),
        (("2026-11-26", "23:50"), [dt.time(23, 45)], "2026-11-25"),
        (("2026-11-27", "00:14"), [dt.time(23, 45)], "2026-11-25"),
        (("2026-11-27", "00:15"), [dt.time(23, 45)], "2026-11-26"),
        # Sessions may end at 23:59.
        (("2026-11-27", "00:28"), [dt.time(23, 59)], "2026-11-25"),
        (("2026-11-27", "00:29"), [dt.time(23, 59)], "2026-11-26"),
    ],
)
def test_day_due_for_close(now: tuple[str, str], ends: list[dt.time], due: str) -> None:
    assert day_due_for_close(at(*now), ends, "Asia/Shanghai") == dt.date.fromisoformat(due)


def test_the_instant_is_read_in_the_halls_zone_not_utc() -> None:
    # 16:30 UTC is 00:30 the next day in Shanghai: the 23:59 hall's day is due there.
    now = dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC)
    assert day_due_for_close(now, [dt.time(23, 59)], "Asia/Shanghai") == dt.date(2026, 11, 26)
    assert day_due_for_close(now, [dt.time(23, 59)], "Europe/Berlin") == dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("now", "ends", "due"),
    [
        (("2026-11-26", "09:30"), [dt.time(17, 30)], None),  # yesterday's close was yesterday evening
        (("2026-11-26", "18:00"), [dt.time(17, 30)], "2026-11-26"),
        # At 23:50 the due close is last night's (of the 25th), never today's, whose session just ended.
        (("2026-11-26", "23:50"), [dt.time(23, 45)], "2026-11-25"),
        (("2026-11-27", "00:10"), [dt.time(23, 45)], None),
        (("2026-11-27", "00:15"), [dt.time(23, 45)], "2026-11-26"),
        (("2026-11-27", "09:00"), [dt.time(23, 45)], "2026-11-26"),  # started after last night's moment
        (("2026-11-27", "00:29"), [dt.time(12), dt.time(23, 59)], "2026-11-26"),
    ],
)
def test_the_running_kiosk_closes_the_day_whose_moment_fell_today(
    now: tuple[str, str], ends: list[dt.time], due: str | None
) -> None:
    expected = dt.date.fromisoformat(due) if due else None
    assert nightly_close_due(at(*now), ends, "Asia/Shanghai") == expected
