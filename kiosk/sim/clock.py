"""The simulation's accelerated clock, shared by several processes.

`kiosk.engine.clock.OffsetClock` runs on `time.monotonic()`, whose origin differs from process to
process, so a kiosk restarted after a SIGKILL would not land on the same simulated instant as the
orchestrator. `SharedClock` anchors on wall time (`time.time()`) instead: every process that is given
the same (origin, wall_t0, speed) reads the same simulated instant at the same real moment.
"""

from __future__ import annotations

import datetime as dt
import time

from kiosk.engine.clock import UTC


class SharedClock:
    """Simulated time = origin + (time.time() - wall_t0) * speed."""

    def __init__(self, origin: dt.datetime, wall_t0: float, speed: float):
        if origin.tzinfo is None:
            raise ValueError("naive datetime: give an explicit timezone")
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.origin = origin.astimezone(UTC)
        self.wall_t0 = wall_t0
        self.speed = speed

    def now(self) -> dt.datetime:
        return self.origin + dt.timedelta(seconds=(time.time() - self.wall_t0) * self.speed)

    def real_seconds_until(self, instant: dt.datetime) -> float:
        """Real seconds until the simulated `instant` (negative when it has passed)."""
        return (instant - self.now()).total_seconds() / self.speed

    def sleep_until(self, instant: dt.datetime) -> None:
        left = self.real_seconds_until(instant)
        if left > 0:
            time.sleep(left)

    def sim_seconds(self, real_seconds: float) -> float:
        return real_seconds * self.speed
