"""Idempotent ingest of a kiosk's events.

Unique (kiosk, seq) and (kiosk, event id) with ``INSERT … ON CONFLICT DO NOTHING`` make a replayed batch
harmless; the answer is the highest *contiguous* seq stored for the kiosk, which is where the kiosk
resumes. Everything happens in one transaction: a batch is stored whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select, update

from sync.centre import materialise, models
from sync.centre.materialise import _insert

EventType = Literal[
    "ticket.issued",
    "ticket.print_result",
    "ticket.transferred",
    "ticket.requeued",
    "ticket.removed",
    "handling.called",
    "handling.recalled",
    "handling.started",
    "handling.held",
    "handling.finished",
    "handling.no_show",
    "rating.opened",
    "rating.recorded",
    "rating.expired",
    "rating.press_ignored",
    "followup.created",
    "followup.updated",
    "window.paused",
    "window.resumed",
    "day.closed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
_ID = r"^[A-Za-z0-9._:-]{1,64}$"


class EventIn(BaseModel):
    """One outbox event as the kiosk sends it (the envelope of the event contract)."""

    model_config = ConfigDict(extra="forbid")
    event_id: str = Field(pattern=_ID)
    seq: int = Field(ge=1, le=2**62)
    kiosk_id: str = Field(pattern=_ID)
    hall_id: str = Field(pattern=_ID)
    type: EventType
    occurred_at: str = Field(max_length=40)
    business_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    payload: dict[str, Any]


class PushBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn] = Field(min_length=1)
    device_time: str | None = Field(None, max_length=40)
    """The kiosk's own clock when it sent the batch: recorded as skew, never used for ordering."""


class PushResult(BaseModel):
    acked_seq: int
    stored: int
    duplicates: int


class IngestRefused(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass
class KioskRef:
    kiosk_id: str
    hall_id: str


def _lock_kiosk(conn: Connection, kiosk_id: str) -> int:
    stmt = select(models.Kiosk.acked_seq).where(models.Kiosk.kiosk_id == kiosk_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # two pushes from one kiosk serialise on its row
    acked = conn.execute(stmt).scalar_one()
    return int(acked)


def _contiguous(conn: Connection, kiosk_id: str, acked: int) -> int:
    seqs = conn.execute(
        select(models.Event.seq)
        .where(models.Event.kiosk_id == kiosk_id, models.Event.seq > acked)
        .order_by(models.Event.seq)
    ).scalars()
    for s in seqs:
        if s != acked + 1:
            break
        acked = s
    return acked


def ingest(conn: Connection, kiosk: KioskRef, events: list[dict[str, Any]], now: datetime) -> PushResult:
    """Store ``events`` (validated envelopes as dicts) for ``kiosk``; the caller commits."""
    for ev in events:
        if ev["kiosk_id"] != kiosk.kiosk_id or ev["hall_id"] != kiosk.hall_id:
            raise IngestRefused(
                403,
                "wrong_owner",
                f"event seq {ev['seq']} names kiosk {ev['kiosk_id']} / hall {ev['hall_id']}",
            )
    seqs = [ev["seq"] for ev in events]
    if len(set(seqs)) != len(seqs) or len({ev["event_id"] for ev in events}) != len(events):
        raise IngestRefused(400, "duplicate_in_batch", "a seq or event id appears twice in one batch")
    try:
        materialise.check_halls(events, kiosk.hall_id)
    except materialise.HallMismatch as exc:
        raise IngestRefused(403, "wrong_hall", str(exc)) from exc

    acked = _lock_kiosk(conn, kiosk.kiosk_id)
    table = models.Event.__table__
    rows = [
        {
            "kiosk_id": kiosk.kiosk_id,
            "seq": ev["seq"],
            "event_id": ev["event_id"],
            "hall_id": kiosk.hall_id,
            "type": ev["type"],
            "occurred_at": ev["occurred_at"],
            "business_date": ev["business_date"],
            "payload": ev["payload"],
            "received_at": now,
        }
        for ev in events
        if ev["seq"] > acked  # at or below the cursor: stored already, skip the round trip
    ]
    inserted: set[int] = set()
    if rows:
        stmt = _insert(conn, table).on_conflict_do_nothing().returning(table.c.seq)
        inserted = set(conn.execute(stmt, rows).scalars())
    dupes = [ev for ev in events if ev["seq"] not in inserted]
    if dupes:
        _check_same(conn, kiosk.kiosk_id, dupes)
    new_events = [ev for ev in events if ev["seq"] in inserted]
    new_events.sort(key=lambda e: e["seq"])
    materialise.apply(conn, new_events, kiosk.kiosk_id, kiosk.hall_id)
    new_acked = _contiguous(conn, kiosk.kiosk_id, acked) if inserted else acked
    conn.execute(
        update(models.Kiosk)
        .where(models.Kiosk.kiosk_id == kiosk.kiosk_id)
        .values(acked_seq=new_acked, last_push_at=now)
    )
    return PushResult(acked_seq=new_acked, stored=len(inserted), duplicates=len(events) - len(inserted))


def _check_same(conn: Connection, kiosk_id: str, dupes: list[dict[str, Any]]) -> None:
    """A duplicate must be the *same* event. A seq reused for another event (a kiosk restored from an old
    backup) is refused loudly instead of silently dropped."""
    want = {ev["seq"]: ev["event_id"] for ev in dupes}
    have: dict[int, str] = {}
    for chunk in _chunks(sorted(want), 500):
        for seq, eid in conn.execute(
            select(models.Event.seq, models.Event.event_id).where(
                models.Event.kiosk_id == kiosk_id, models.Event.seq.in_(chunk)
            )
        ):
            have[seq] = eid
    for seq, eid in want.items():
        if have.get(seq) != eid:
            other = "" if seq in have else " (its event id is stored under another seq)"
            raise IngestRefused(
                409, "seq_conflict", f"seq {seq} was already stored with another event{other}"
            )


def _chunks(items: list[int], n: int) -> list[list[int]]:
    return [items[i : i + n] for i in range(0, len(items), n)]
