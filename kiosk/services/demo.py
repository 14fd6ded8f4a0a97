"""Demo mode, wrapped around a normal runtime: a clock inside opening hours and simulated residents
taking numbers.

Simulated staff and rating residents are the simulated keypad bus's random mode; together they
show a newcomer tickets issued, calls announced and ratings counted within a minute. The runtime knows
nothing of the demo: `build_demo_runtime` gives it the demo clock and adds `DemoMode` as a part.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from pathlib import Path

from kiosk.config.schema import BoardSettings, HallConfig
from kiosk.engine.clock import Clock, OffsetClock, SystemClock, local, utc_from_local
from kiosk.engine.schedule import issuing_state
from kiosk.engine.workdays import WorkCalendar
from kiosk.services.centre_config import with_centre_holidays
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


def build_demo_runtime(config: HallConfig, data_dir: Path, *, clock: Clock | None = None) -> KioskRuntime:
    """A runtime as a hall would run it, with the demo clock (unless one is given) and `DemoMode`."""
    if clock is None:
        clock = demo_clock(with_centre_holidays(config, Path(data_dir) / "centre-config"))
    if config.board is None:
        # The demo shows a call board on this machine; its kiosk still shows and speaks its calls.
        board = BoardSettings(host="127.0.0.1", port=8765, voice="kiosk", kiosk_calls="full")
        config = config.model_copy(update={"board": board})
    runtime = KioskRuntime(config, data_dir, clock=clock)
    runtime.demo = True
    runtime.add_part(DemoMode(runtime))
    return runtime


class DemoMode:
    """Simulated residents at the touch screen, simulated staff and raters on the simulated keypads."""

    name = "demo"

    def __init__(self, runtime: KioskRuntime):
        self.runtime = runtime
        self.residents = DemoResidents(runtime)

    def start(self) -> None:
        self.residents.start()
        sim = self.runtime.keypad_sim
        if sim is not None:
            addresses = [w.keypad.address for w in self.runtime.config.windows if w.keypad]
            sim.start_random(addresses, seed=7, speed=1.5)

    def stop(self) -> None:
        if self.runtime.keypad_sim is not None:
            self.runtime.keypad_sim.stop_random()
        self.residents.stop()


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
