"""The sync client's view of the kiosk database (``kiosk.db``): outbox reads on the caller's thread
(WAL snapshots), every write through the kiosk's single writer thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.db.database import Database
from kiosk.engine.outbox import envelope


def _state(session: Session) -> m.SyncState:
    row = session.get(m.SyncState, 1)
    if row is None:
        row = m.SyncState(id=1, acked_seq=0, config_version=0)
        session.add(row)
        session.flush()
    return row


class KioskOutboxSource:
    """Implements :class:`~sync.client.source.OutboxSource` over the kiosk's OutboxEvent and SyncState.

    Configuration documents are handed to ``apply_documents`` (the kiosk's own loader, called on the
    writer thread inside the transaction that stores the new version) when one is given.
    """

    def __init__(self, db: Database, apply_documents: Any = None) -> None:
        self.db = db
        self.apply_documents = apply_documents

    def pending(self, after_seq: int, limit: int) -> list[dict[str, Any]]:
        def q(s: Session) -> list[dict[str, Any]]:
            rows = s.scalars(
                select(m.OutboxEvent)
                .where(m.OutboxEvent.seq > after_seq)
                .order_by(m.OutboxEvent.seq)
                .limit(limit)
            )
            return [envelope(e) for e in rows]

        return self.db.read(q)

    def acked_seq(self) -> int:
        def q(s: Session) -> int:
            row = s.get(m.SyncState, 1)
            return int(row.acked_seq) if row else 0

        return self.db.read(q)

    def last_seq(self) -> int:
        return int(self.db.read(lambda s: s.scalar(select(func.max(m.OutboxEvent.seq))) or 0))

    def set_acked(self, seq: int, at: datetime) -> None:
        def w(s: Session) -> None:
            row = _state(s)
            row.acked_seq = seq
            row.last_success_at = at
            row.last_error = None

        self.db.run(w, name="sync.set_acked")

    def record_error(self, text: str) -> None:
        def w(s: Session) -> None:
            row = _state(s)
            row.last_error = text[:2000]
            row.last_error_at = datetime.now().astimezone()

        self.db.run(w, name="sync.record_error")

    # ConfigSink
    def config_version(self) -> int:
        def q(s: Session) -> int:
            row = s.get(m.SyncState, 1)
            return int(row.config_version) if row else 0

        return self.db.read(q)

    def apply_config(self, version: int, documents: list[dict[str, Any]]) -> None:
        def w(s: Session) -> None:
            if self.apply_documents is not None:
                self.apply_documents(s, documents)
            _state(s).config_version = version

        self.db.run(w, name="sync.apply_config")
