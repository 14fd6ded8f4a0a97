"""The one visible sync state for the staff screen.

The UI binds to a :class:`SyncStatus` snapshot (never to exceptions); listeners are called on the sync
thread, so a Kivy screen must hop to its own thread (``Clock.schedule_once``) before touching widgets.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

log = logging.getLogger(__name__)


class SyncPhase(enum.StrEnum):
    DISABLED = "disabled"  # sync: enabled is false
    NOT_ENROLLED = "not_enrolled"  # no key file yet
    IDLE = "idle"  # waiting for the next run, last run fine (or none yet)
    SYNCING = "syncing"
    DEGRADED = "degraded"  # last run failed but will be retried (network, centre busy)
    ERROR = "error"  # needs a person: key refused, revoked, conflicting data


#: Phases that mean staff should look at the message.
ATTENTION = frozenset({SyncPhase.NOT_ENROLLED, SyncPhase.DEGRADED, SyncPhase.ERROR})


@dataclass(frozen=True)
class SyncStatus:
    phase: SyncPhase = SyncPhase.IDLE
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    next_run_at: datetime | None = None
    acked_seq: int = 0
    backlog: int = 0
    """Events written at the kiosk and not yet acknowledged by the centre."""
    last_error: str | None = None
    """Plain words plus a stable code, e.g. ``unreachable: cannot reach the centre …``."""
    last_error_at: datetime | None = None
    config_version: int = 0
    clock_skew_seconds: float | None = None
    """The centre's clock minus ours, as last measured."""
    held: bool = False
    """The centre refused a batch (403/409/422): the periodic runs stop resending it; the nightly close,
    a restart of the kiosk or ``sync_now`` (support, after fixing the cause) try once more."""


Listener = Callable[[SyncStatus], None]


class StateHolder:
    """Thread-safe current status; logs once when sync degrades and once when it recovers."""

    def __init__(self, initial: SyncStatus | None = None) -> None:
        self._lock = threading.Lock()
        self._status = initial or SyncStatus()
        self._listeners: list[Listener] = []

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def update(self, **changes: object) -> SyncStatus:
        with self._lock:
            before = self._status
            self._status = replace(before, **changes)  # type: ignore[arg-type]
            now = self._status
        if before.phase not in ATTENTION and now.phase in ATTENTION:
            log.warning("sync %s: %s", now.phase, now.last_error)
        elif before.phase in ATTENTION and now.phase not in ATTENTION:
            log.info("sync recovered")
        for listener in list(self._listeners):
            try:
                listener(now)
            except Exception:
                log.exception("sync state listener failed")
        return now
