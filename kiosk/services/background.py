"""The runtime's background parts: each owns one thread, started by the runtime and joined on stop.

A part is anything with ``name``, ``start()`` and ``stop()``; ``stop()`` returns once the part's thread
has ended. The runtime starts its parts in the order they were added and stops them in reverse, so a
part may rely on the parts added before it (and on the devices, which outlive every part).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Part(Protocol):
    name: str

    def start(self) -> None: ...
    def stop(self) -> None: ...


class PeriodicThread:
    """Calls ``tick()`` every ``interval_s`` seconds on its own thread until ``stop()``, which joins it.

    A failing tick is logged (with the part's name) and the next tick runs as usual: one bad read must
    not end the health display or the nightly close for the rest of the day."""

    def __init__(
        self, name: str, interval_s: float, tick: Callable[[], object], join_timeout_s: float = 30.0
    ):
        self.name = name
        self.interval_s = interval_s
        self._tick = tick
        self._join_timeout_s = join_timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._join_timeout_s)
            if self._thread.is_alive():
                log.error("%s did not end within %.0f s", self.name, self._join_timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._tick()
            except Exception:  # see the class docstring: log, keep ticking
                log.exception("%s failed", self.name)
