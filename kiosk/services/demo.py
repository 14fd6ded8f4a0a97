"""Demo mode: a clock inside opening hours and simulated residents taking numbers.

Simulated staff and rating residents are the simulated keypad bus's random mode; together they
show a newcomer tickets issued, calls announced and ratings counted within a minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from typing import TYPE_CHECKING

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import OffsetClock, SystemClock, local, utc_from_local
from kiosk.engine.schedule import issuing_state
from kiosk.engine.workdays import WorkCalendar

if TYPE_CHECKING:
    from kiosk.services.runtime import KioskRuntime

log = logging.getLogger(__name__)


DEMO_SPAN = dt.timedelta(minutes=30)
"""How long the demo should be able to issue numbers once started: a newcomer starting it at 17:25
should not watch the hall close after a minute."""


def demo_clock(config: HallConfig, now: dt.datetime | None = None) -> OffsetClock | SystemClock:
    """Real time if numbers are issued now and for the next half hour; else real time shifted to five
    minutes after the next session opens (on a working day, by the statutory calendar)."""
    cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
    now = now or dt.datetime.now(dt.UTC)
    if issuing_state(now, config, cal).open and issuing_state(now + DEMO_SPAN, config, cal).open:
        return SystemClock()
    return OffsetClock(next_opening(config, cal, now) + dt.timedelta(minutes=5))


def next_opening(config: HallConfig, cal: WorkCalendar, now: dt.datetime) -> dt.datetime:
    """The first session start after `now` on a day the hall opens."""
    day = local(now, config.timezone).date()
    for _ in range(366):
        if config.open_on_non_working_days or cal.is_workday(day):
            for session in sorted(config.sessions, key=lambda s: s.start):
                start = utc_from_local(day, session.start, config.timezone)
                if start > now:
                    return start
        day += dt.timedelta(days=1)
    raise ValueError("the hall never opens in the coming year")


class DemoResidents:
    """Residents arriving at the touch screen every few seconds, some on the green channel."""

    def __init__(self, runtime: KioskRuntime, seed: int = 11, mean_gap_s: float = 4.0):
        self.runtime = runtime
        self._rng = random.Random(seed)
        self._gap = mean_gap_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-residents", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        cfg = self.runtime.config
        services = [s.code for s in cfg.services]
        weights = [3 if s.category == "社保医保" else 1 for s in cfg.services]
        categories = [c.code for c in cfg.priority.categories]
        while not self._stop.wait(self._rng.expovariate(1 / self._gap)):
            code = self._rng.choices(services, weights)[0]
            priority = self._rng.choice(categories) if categories and self._rng.random() < 0.15 else None
            try:
                self.runtime.issue_ticket(code, priority).result(60)
            except Exception:
                log.exception("demo resident could not take a number")
