"""Runs sync on its own thread: every N minutes while the hall is open, soon after the nightly close
(with a random delay so the street's halls spread out), and when staff press "sync now".

Nothing here blocks the caller: ``start``, ``stop``, ``sync_now`` and ``nightly_close`` only set flags.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sync import signing
from sync.client.config_pull import pull_config
from sync.client.heartbeat import INTERVAL_S as HEARTBEAT_S
from sync.client.heartbeat import send as send_heartbeat
from sync.client.pusher import Pusher
from sync.client.session import REFUSED_STATUSES, SignedClient, SyncError
from sync.client.settings import SyncSettings
from sync.client.source import ConfigSink, OutboxSource
from sync.client.state import Listener, StateHolder, SyncPhase, SyncStatus
from sync.contract.heartbeat import Heartbeat

log = logging.getLogger(__name__)


class SyncScheduler:
    def __init__(
        self,
        settings: SyncSettings,
        source: OutboxSource,
        config_sink: ConfigSink | None = None,
        *,
        is_open: Callable[[], bool] = lambda: True,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.config_sink = config_sink
        self.is_open = is_open
        self._rng = rng or random.Random()
        self.state = StateHolder(SyncStatus(phase=SyncPhase.IDLE if settings.enabled else SyncPhase.DISABLED))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._run_lock = threading.Lock()
        self._now_requested = False
        self._nightly_at: datetime | None = None
        self._thread: threading.Thread | None = None
        self._client: SignedClient | None = None
        self._key_mtime: float | None = None
        self.heartbeat: Callable[[], Heartbeat] | None = None
        """What the kiosk reports with each push and every ``HEARTBEAT_S`` while open (sync.client.heartbeat)."""
        self._next_beat = _now()

    # ---- control (any thread; never blocks) ---------------------------------------------------
    @property
    def status(self) -> SyncStatus:
        return self.state.status

    def subscribe(self, listener: Listener) -> None:
        self.state.subscribe(listener)

    def start(self) -> None:
        if not self.settings.enabled or (self._thread and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to finish; a request in flight ends within the configured timeouts."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._client is not None:
            self._client.close()

    def sync_now(self) -> None:
        self._now_requested = True
        self._wake.set()

    def nightly_close(self) -> datetime:
        """Called after 日结: push once more after a random delay; returns when it will run."""
        delay = self._rng.uniform(0, self.settings.nightly_jitter_minutes * 60)
        self._nightly_at = _now() + timedelta(seconds=delay)
        self.state.update(next_run_at=self._nightly_at)
        self._wake.set()
        return self._nightly_at

    # ---- the thread ---------------------------------------------------------------------------
    def _loop(self) -> None:
        interval = self.settings.interval_minutes * 60
        next_periodic = _now()
        while not self._stop.is_set():
            now = _now()
            due = self._now_requested or (self._nightly_at is not None and now >= self._nightly_at)
            if not due and now >= next_periodic:
                next_periodic = now + timedelta(seconds=interval)
                # a refused batch is not sent again every few minutes: it would be refused again
                due = self.is_open() and not self.status.held
            if due:
                self._now_requested = False
                if self._nightly_at is not None and now >= self._nightly_at:
                    self._nightly_at = None
                self.run_once()
                continue
            if self.heartbeat is not None and now >= self._next_beat and self.is_open():
                self._beat(self._get_client())
            wake_at = min(t for t in (next_periodic, self._nightly_at, self._beat_due()) if t is not None)
            self.state.update(next_run_at=wake_at)
            self._wake.wait(max(0.05, (wake_at - _now()).total_seconds()))
            self._wake.clear()

    def run_once(self) -> SyncStatus:
        """One complete exchange (push, then pull configuration). Runs on the caller's thread."""
        with self._run_lock:
            self.state.update(phase=SyncPhase.SYNCING, last_attempt_at=_now())
            try:
                client = self._get_client()
                if client is None:
                    return self.state.update(
                        phase=SyncPhase.NOT_ENROLLED,
                        last_error=f"not enrolled: no key file at {self.settings.key_file}",
                        last_error_at=_now(),
                        backlog=self._backlog(self.source.acked_seq()),
                    )
                report = Pusher(self.source, client, self.settings.batch_size).push_all()
                self._beat(client)
                version = self.status.config_version
                if self.config_sink is not None and self.settings.pull_config:
                    version = pull_config(client, self.config_sink)
                return self.state.update(
                    phase=SyncPhase.IDLE,
                    last_success_at=_now(),
                    acked_seq=report.acked_seq,
                    backlog=self._backlog(report.acked_seq),
                    last_error=None,
                    last_error_at=None,
                    config_version=version,
                    clock_skew_seconds=round(client.clock_offset, 1),
                    held=False,
                )
            except SyncError as exc:
                if exc.status in REFUSED_STATUSES:
                    text = f"{exc} — automatic sync paused until the nightly close or a restart; call support"
                    log.error("the centre refused a batch: %s", exc)
                    return self._failed(text, SyncPhase.ERROR, held=True)
                return self._failed(str(exc), SyncPhase.DEGRADED if exc.retryable else SyncPhase.ERROR)
            except Exception as exc:  # never let the thread die: say it on the staff screen instead
                log.exception("sync run failed")
                return self._failed(f"internal: {type(exc).__name__}: {exc}", SyncPhase.DEGRADED)

    def _beat_due(self) -> datetime | None:
        return self._next_beat if self.heartbeat is not None else None

    def _beat(self, client: SignedClient | None) -> None:
        """Send the heartbeat (with each push, and every HEARTBEAT_S while open); a failure is only
        logged: it is a view of now, sent afresh next time, never queued."""
        self._next_beat = _now() + timedelta(seconds=HEARTBEAT_S)
        if self.heartbeat is None or client is None:
            return
        try:
            send_heartbeat(client, self.heartbeat())
        except Exception as exc:  # noqa: BLE001 - a heartbeat (its collection included) never stops a push
            log.warning("heartbeat not sent: %s", exc)

    def _failed(self, text: str, phase: SyncPhase, held: bool = False) -> SyncStatus:
        try:
            self.source.record_error(text)
            acked = self.source.acked_seq()
        except Exception:
            log.exception("could not record the sync error")
            acked = self.status.acked_seq
        return self.state.update(
            phase=phase,
            last_error=text,
            last_error_at=_now(),
            acked_seq=acked,
            backlog=self._backlog(acked),
            held=held,
        )

    def _backlog(self, acked: int) -> int:
        try:
            return max(0, self.source.last_seq() - acked)
        except Exception:  # noqa: BLE001 - the backlog is a display figure: keep the last one if the read fails
            return self.status.backlog

    def _get_client(self) -> SignedClient | None:
        path = self.settings.key_file
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        if self._client is None or mtime != self._key_mtime:  # re-read after a key rotation
            if self._client is not None:
                self._client.close()
            self._client = SignedClient(self.settings, signing.KioskKey.load(path))
            self._key_mtime = mtime
        return self._client


def _now() -> datetime:
    return datetime.now(UTC)
