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


def demo_clock(config: HallConfig) -> OffsetClock | SystemClock:
    """Real time if the hall is open now, else real time shifted to 09:05 of the next working day."""
    cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
    now = dt.datetime.now(dt.UTC)
    if issuing_state(now, config, cal).open:
        return SystemClock()
    here = local(now, config.timezone)
    day = here.date() if here.time() < config.sessions[0].start else here.date() + dt.timedelta(days=1)
    while not (config.open_on_non_working_days or cal.is_workday(day)):
        day += dt.timedelta(days=1)
    start = utc_from_local(day, config.sessions[0].start, config.timezone) + dt.timedelta(minutes=5)
    return OffsetClock(start)


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
