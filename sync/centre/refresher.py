"""The server's figure refresher: every few seconds it recomputes the hall-days that pushes marked
(``day_store.refresh_dirty``), so the pages stay current during the day without ingest paying for it."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from sync.centre import day_store

log = logging.getLogger("street_centre.refresher")


class FigureRefresher:
    def __init__(self, engine: Engine, interval_s: float) -> None:
        self.engine, self.interval_s = engine, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        with self.engine.begin() as conn:
            return day_store.refresh_dirty(conn, limit=200)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                while self.run_once() == 200 and not self._stop.is_set():
                    pass  # a backlog (the evening rush): keep going
            except Exception:  # a database hiccup: the marks stay, the next round retries
                log.exception("refreshing stored figures failed")

    def start(self) -> None:
        if self._thread is None and self.interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="figure-refresher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
