"""The nightly 日结 when staff did not press it: 30 minutes after the hall's last session ends
(computed in the hall's timezone by ``kiosk.engine.nightly``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.db.models import DayClose
from kiosk.engine.engine import QueueEngine
from kiosk.engine.nightly import nightly_close_due
from kiosk.services.background import PeriodicThread

log = logging.getLogger(__name__)


class NightlyClose(PeriodicThread):
    """Checks every ``interval_s`` whether today is due to close; ``on_closed`` runs after a close
    (the runtime pushes the day to the centre)."""

    def __init__(self, engine: QueueEngine, on_closed: Callable[[dt.date], None], interval_s: float = 2.0):
        super().__init__("kiosk-nightly-close", interval_s, self.run_once)
        self.engine = engine
        self.on_closed = on_closed

    def run_once(self) -> dt.date | None:
        """Close today if its time has come and nobody closed it yet; the day closed, else None."""
        engine = self.engine
        now = engine.clock.now()
        config = engine.config
        day = nightly_close_due(now, [sess.end for sess in config.sessions], config.timezone)
        if day is None or engine.db.read(lambda s: s.get(DayClose, day)) is not None:
            return None
        removed = engine.close_day(day)
        log.info("automatic close of %s: %d tickets removed", day, removed)
        self.on_closed(day)
        return day
