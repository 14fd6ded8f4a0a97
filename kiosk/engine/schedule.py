"""Opening hours: when tickets may be issued."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import local
from kiosk.engine.workdays import WorkCalendar


@dataclass(frozen=True)
class IssueWindow:
    open: bool
    reason: str  # plain Chinese for the closed screen; "" when open
    next_opening: dt.datetime | None = None  # local time


def issuing_state(now: dt.datetime, config: HallConfig, calendar: WorkCalendar) -> IssueWindow:
    here = local(now, config.timezone)
    day, clock = here.date(), here.time().replace(tzinfo=None)
    working = config.open_on_non_working_days or calendar.is_workday(day)
    cutoff = dt.timedelta(minutes=config.issue_cutoff_minutes)
    if working:
        for session in config.sessions:
            last_issue = (dt.datetime.combine(day, session.end) - cutoff).time()
            if session.start <= clock < last_issue:
                return IssueWindow(True, "")
            if last_issue <= clock < session.end:
                return IssueWindow(False, "本时段取号已截止", next_opening(here, config, calendar))
    reason = "今天不办公" if not working else "现在不是办公时间"
    return IssueWindow(False, reason, next_opening(here, config, calendar))


def next_opening(here: dt.datetime, config: HallConfig, calendar: WorkCalendar) -> dt.datetime | None:
    day = here.date()
    for offset in range(0, 40):
        d = day + dt.timedelta(days=offset)
        if not (config.open_on_non_working_days or calendar.is_workday(d)):
            continue
        for session in config.sessions:
            start = dt.datetime.combine(d, session.start, tzinfo=here.tzinfo)
            if start > here:
                return start
    return None
