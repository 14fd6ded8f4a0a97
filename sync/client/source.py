"""What the sync client needs from the kiosk's database: the outbox and the sync progress.

Kept as small Protocols so the client is tested on a real SQLite file and wired to the kiosk's single
writer thread by an adapter (``sync.client.kiosk_source.KioskOutboxSource``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class OutboxSource(Protocol):
    def pending(self, after_seq: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` event envelopes with seq > ``after_seq``, in seq order."""
        ...

    def acked_seq(self) -> int:
        """The highest seq the centre acknowledged (all events up to it are stored there)."""
        ...

    def set_acked(self, seq: int, at: datetime) -> None:
        """Record the centre's acknowledgement and the time of this successful exchange."""
        ...

    def record_error(self, text: str) -> None:
        """Keep the last failure (shown to staff until the next success)."""
        ...

    def last_seq(self) -> int:
        """The newest seq in the outbox (for the backlog on the staff screen)."""
        ...


class ConfigSink(Protocol):
    def config_version(self) -> int:
        """Version of the published configuration this kiosk has applied (0: none)."""
        ...

    def apply_config(self, version: int, documents: list[dict[str, Any]]) -> None:
        """Apply documents (``{"kind", "version", "body"}``) and remember ``version``, atomically."""
        ...
