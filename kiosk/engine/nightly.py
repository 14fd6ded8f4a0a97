"""When the automatic close (日结) of a business day is due.

Computed on timezone-aware datetimes in the hall's timezone, never on times of day: a hall whose last
session ends at 23:45 closes at 00:15 the next calendar day, which a comparison of times would place
before every moment of the day (and so close the day at start-up, while it is still open).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

AUTO_CLOSE_AFTER = dt.timedelta(minutes=30)


def close_moment(
    day: dt.date, last_end: dt.time, tz: str, after: dt.timedelta = AUTO_CLOSE_AFTER
) -> dt.datetime:
    """The instant (aware, in ``tz``) at which ``day`` is closed: ``after`` past its last session."""
    zone = ZoneInfo(tz)
    ends = dt.datetime.combine(day, last_end, tzinfo=zone)
    # Add in UTC and convert back, so a DST change in the hall's zone cannot shift the moment.
    return (ends.astimezone(dt.UTC) + after).astimezone(zone)


def day_due_for_close(
    now: dt.datetime, session_ends: Iterable[dt.time], tz: str, after: dt.timedelta = AUTO_CLOSE_AFTER
) -> dt.date:
    """The latest business day whose close moment has come by ``now`` (an aware instant).

    Today once today's moment has passed; otherwise yesterday (whose moment may fall after midnight,
    i.e. today) or, just after midnight in a late hall, the day before.
    """
    last_end = max(session_ends)
    today = now.astimezone(ZoneInfo(tz)).date()
    day = today
    while close_moment(day, last_end, tz, after) > now:
        day -= dt.timedelta(days=1)
    return day


def nightly_close_due(
    now: dt.datetime, session_ends: Iterable[dt.time], tz: str, after: dt.timedelta = AUTO_CLOSE_AFTER
) -> dt.date | None:
    """The business day the running kiosk closes now: the one whose close moment has passed and falls
    on today's date in the hall (yesterday's for a hall open late, else today's); ``None`` before it.

    Older unclosed days are not this function's business: the kiosk closes those with tickets at
    start-up (``QueueEngine.close_stale_days``).
    """
    day = day_due_for_close(now, session_ends, tz, after)
    moment = close_moment(day, max(session_ends), tz, after)
    return day if moment.date() == now.astimezone(ZoneInfo(tz)).date() else None
