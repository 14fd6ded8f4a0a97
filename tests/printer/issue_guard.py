"""A single-flight guard for an issue button, used by the printer tests to show that a double tap on a
key gets the first tap's ticket. The kiosk's own guard is the desk's one issuing thread plus the
request id (kiosk/services/runtime.py, kiosk/engine/issuing.py); this one is not shipped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    done: threading.Event
    at: float = 0.0
    value: T | None = None
    error: BaseException | None = None


class IssueGuard(Generic[T]):
    """Single-flight for the issue button: a second tap on the same ``key`` while the first issue is
    running, or within ``cooldown_s`` after it, gets the first tap's result instead of a new ticket."""

    def __init__(self, cooldown_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight[T]] = {}

    def run(self, key: str, issue: Callable[[], T]) -> tuple[T, bool]:
        """``(result, is_new)``; ``is_new`` is False for a repeated tap."""
        with self._lock:
            flight = self._flights.get(key)
            fresh = flight is None or (flight.done.is_set() and self._clock() - flight.at > self.cooldown_s)
            if fresh or flight is None:
                flight = _Flight(threading.Event())
                self._flights[key] = flight
        if not fresh:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value, False  # type: ignore[return-value]
        try:
            flight.value = issue()
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                self._flights.pop(key, None)  # a failed issue does not block the next tap
            raise
        finally:
            flight.at = self._clock()
            flight.done.set()
        return flight.value, True
