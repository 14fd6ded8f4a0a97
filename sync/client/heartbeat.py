"""The kiosk's heartbeat to the street centre (``sync.contract.heartbeat``): sent after each push and at
least every five minutes while the hall is open, signed with the kiosk's key like a push. ``collect``
gathers the live state from the kiosk's own parts; a failed send is logged and tried next time (the
heartbeat is a view of now, never queued)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.client.session import SignedClient, SyncError
from sync.contract.heartbeat import Heartbeat

log = logging.getLogger("kiosk.heartbeat")
INTERVAL_S = 300.0


def disk_free_mb(path: str | Path) -> int:
    return int(shutil.disk_usage(path).free // (1024 * 1024))


def send(client: SignedClient, heartbeat: Heartbeat) -> None:
    client.request("POST", "/v1/heartbeat", heartbeat.model_dump(mode="json", exclude_none=True))


class HeartbeatSender:
    """Sends ``collect()`` every ``interval_s`` while ``collect().open``, and whenever ``nudge()`` is
    called (the pusher calls it after each push)."""

    def __init__(
        self, client: SignedClient, collect: Callable[[], Heartbeat], interval_s: float = INTERVAL_S
    ):
        self.client, self.collect, self.interval_s = client, collect, interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.last_error: str | None = None

    def send_now(self) -> bool:
        try:
            send(self.client, self.collect())
        except SyncError as exc:
            self.last_error = str(exc)
            log.warning("heartbeat not sent: %s", exc)
            return False
        self.sent += 1
        self.last_error = None
        return True

    def nudge(self, *_: Any) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.send_now()
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
