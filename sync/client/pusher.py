"""Push the outbox to the centre in seq order, resuming from the seq the centre acknowledged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync.client.session import SignedClient, SyncError
from sync.client.source import OutboxSource

log = logging.getLogger(__name__)


@dataclass
class PushReport:
    acked_seq: int
    sent_batches: int
    stored: int
    duplicates: int


class Pusher:
    def __init__(self, source: OutboxSource, client: SignedClient, batch_size: int = 500) -> None:
        self.source, self.client, self.batch_size = source, client, batch_size

    def cursor(self) -> int:
        return int(self.client.request("GET", "/v1/cursor")["acked_seq"])

    def push_all(self, max_batches: int = 100_000) -> PushReport:
        """Send everything pending. Raises :class:`SyncError` on a failure (progress so far is kept)."""
        acked = self.cursor()  # the centre's cursor is the truth: it survives a kiosk restored from backup
        last = self.source.last_seq()
        if acked > last:
            # The centre holds events this kiosk does not: its database was restored from an older copy
            # (or replaced). New events would reuse those numbers; stop before anything is overwritten.
            raise SyncError(
                "conflict",
                f"the centre holds events up to seq {acked}, this kiosk only up to {last} "
                "(database restored from an old copy?) — call support",
                retryable=False,
            )
        self.source.set_acked(acked, _now())
        report = PushReport(acked, 0, 0, 0)
        size = self.batch_size
        stalled = 0
        for _ in range(max_batches):
            events = self.source.pending(acked, size)
            if not events:
                break
            try:
                answer = self._send(events)
            except SyncError as exc:
                if exc.code == "too_large" and size > 1:
                    size = max(1, size // 2)
                    continue
                raise
            report.sent_batches += 1
            report.stored += int(answer["stored"])
            report.duplicates += int(answer["duplicates"])
            new_acked = int(answer["acked_seq"])
            self.source.set_acked(new_acked, _now())
            # No progress twice in a row means the centre keeps a hole we cannot fill: stop and say so.
            stalled = stalled + 1 if new_acked <= acked else 0
            acked = new_acked
            if stalled >= 2:
                raise SyncError(
                    "stalled", f"the centre does not acknowledge past seq {acked}", retryable=True
                )
        report.acked_seq = acked
        return report

    def _send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"events": events, "device_time": _now().isoformat()}
        answer: dict[str, Any] = self.client.request("POST", "/v1/events", body)
        return answer


def _now() -> datetime:
    return datetime.now(UTC)
