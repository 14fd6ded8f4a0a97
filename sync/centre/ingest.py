"""Idempotent ingest of a kiosk's events.

Unique (kiosk, seq) and (kiosk, event id) with ``INSERT … ON CONFLICT DO NOTHING`` make a replayed batch
harmless; the answer is the highest *contiguous* seq stored for the kiosk, which is where the kiosk
resumes. Everything happens in one transaction: a batch is stored whole or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DataError

from sync.centre import bulk, day_store, materialise, models, pg_ingest
from sync.centre.envelope import Malformed, check
from sync.contract import PushBatch

__all__ = ["IngestRefused", "KioskRef", "PushBatch", "PushResult", "ingest", "ingest_push"]


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
    """Store ``events`` (checked envelopes as dicts) for ``kiosk``, portably; the caller commits."""
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
    stored = _stored(conn, kiosk.kiosk_id, seqs)
    for ev in events:
        if ev["seq"] in stored and stored[ev["seq"]] != ev["event_id"]:
            # A seq reused for another event (a kiosk restored from an old backup): refused loudly,
            # never silently dropped.
            raise IngestRefused(409, "seq_conflict", f"seq {ev['seq']} was already stored with another event")
    repeats = [ev for ev in events if ev["seq"] in stored]
    if repeats:
        _same_as_stored(conn, kiosk.kiosk_id, repeats)
    new_events = sorted((ev for ev in events if ev["seq"] not in stored), key=lambda e: e["seq"])
    inserted = bulk.insert_events(conn, [_row(kiosk, ev) for ev in new_events], now)
    if inserted == len(new_events):
        materialise.apply(conn, new_events, kiosk.kiosk_id, kiosk.hall_id)
        day_store.after_ingest(conn, kiosk.hall_id, kiosk.kiosk_id, acked, now, new_events)
    if inserted != len(new_events):
        raise IngestRefused(
            409, "seq_conflict", "an event id of this batch is already stored under another seq"
        )
    new_acked = _contiguous(conn, kiosk.kiosk_id, acked) if new_events else acked
    conn.execute(
        update(models.Kiosk)
        .where(models.Kiosk.kiosk_id == kiosk.kiosk_id)
        .values(acked_seq=new_acked, last_push_at=now)
    )
    return PushResult(acked_seq=new_acked, stored=len(new_events), duplicates=len(events) - len(new_events))


def ingest_push(
    conn: Connection, kiosk: KioskRef, body: bytes, now: datetime, max_events: int
) -> tuple[PushResult, str | None]:
    """Check and store one push body as received; returns the answer and the kiosk's device time.

    Both databases first check the body against the contract (``sync.contract``), so they accept the
    same bodies; on PostgreSQL the database then parses the JSON itself and stores it in one statement
    (``pg_ingest``), with the same refusals as the portable path. Nothing is stored unless every check
    passes."""
    try:
        batch = check(body)  # the contract, the same for both databases
    except Malformed as exc:
        raise IngestRefused(422, "invalid_event", str(exc)) from exc
    if len(batch.events) > max_events:
        raise IngestRefused(413, "batch_too_large", f"at most {max_events} events per push")
    if conn.dialect.name != "postgresql":
        events = json.loads(body)["events"]  # the kiosk's own JSON, as checked above
        return ingest(conn, kiosk, events, now), batch.device_time
    acked = _lock_kiosk(conn, kiosk.kiosk_id)
    try:
        out = pg_ingest.ingest_body(conn, body, kiosk.kiosk_id, kiosk.hall_id, now, max_events)
    except (DataError, UnicodeDecodeError) as exc:
        raise IngestRefused(422, "malformed", "not JSON, or a field of the wrong type") from exc
    if out.body_kind != "object" or out.events == 0 or out.malformed:
        raise IngestRefused(422, "malformed", "expected {'events': [...]} with complete, valid envelopes")
    if out.events > max_events:
        raise IngestRefused(413, "batch_too_large", f"at most {max_events} events per push")
    if out.wrong_owner:
        raise IngestRefused(403, "wrong_owner", "events name another kiosk or hall")
    if out.wrong_hall:
        raise IngestRefused(403, "wrong_hall", "a snapshot belongs to another hall")
    if out.changed:
        raise IngestRefused(409, "content_conflict", "a seq was already stored with other content")
    if out.conflicts or out.inserted != out.events - out.already_stored:
        # also a seq or event id twice in one batch: ON CONFLICT kept only the first
        raise IngestRefused(
            409, "seq_conflict", "a seq or event id is repeated or already stored with another event"
        )
    if out.inserted:
        day_store.after_ingest(conn, kiosk.hall_id, kiosk.kiosk_id, acked, now)
    new_acked = _contiguous(conn, kiosk.kiosk_id, acked) if out.inserted else acked
    conn.execute(
        update(models.Kiosk)
        .where(models.Kiosk.kiosk_id == kiosk.kiosk_id)
        .values(acked_seq=new_acked, last_push_at=now)
    )
    return PushResult(
        acked_seq=new_acked, stored=out.inserted, duplicates=out.events - out.inserted
    ), out.device_time


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _same_as_stored(conn: Connection, kiosk_id: str, repeats: list[dict[str, Any]]) -> None:
    """A repeat (same seq, same event id) is a duplicate only if it says exactly what was stored; the
    same numbers with other content (an edited outbox, a broken build) are refused, never dropped."""
    by_seq = {ev["seq"]: ev for ev in repeats}
    cols = (models.Event.seq, models.Event.type, models.Event.occurred_at, models.Event.business_date)
    for chunk in _chunks(sorted(by_seq), 500):
        rows = conn.execute(
            select(*cols, models.Event.payload).where(
                models.Event.kiosk_id == kiosk_id, models.Event.seq.in_(chunk)
            )
        )
        for seq, typ, occurred, bday, payload in rows:
            ev = by_seq[seq]
            same = (typ, occurred, bday) == (ev["type"], ev["occurred_at"], ev["business_date"])
            if not same or _canonical(payload) != _canonical(ev["payload"]):
                raise IngestRefused(
                    409,
                    "content_conflict",
                    f"seq {seq} (event {ev['event_id']}) was stored with other content",
                )


def _row(kiosk: KioskRef, ev: dict[str, Any]) -> dict[str, Any]:
    return {
        "kiosk_id": kiosk.kiosk_id,
        "seq": ev["seq"],
        "event_id": ev["event_id"],
        "hall_id": kiosk.hall_id,
        "type": ev["type"],
        "occurred_at": ev["occurred_at"],
        "business_date": ev["business_date"],
        "payload": ev["payload"],
    }


def _stored(conn: Connection, kiosk_id: str, seqs: list[int]) -> dict[int, str]:
    """seq → event id of the batch's seqs already stored (one indexed range scan when seqs are dense)."""
    lo, hi = min(seqs), max(seqs)
    stmt = select(models.Event.seq, models.Event.event_id).where(models.Event.kiosk_id == kiosk_id)
    if hi - lo < 4 * len(seqs):
        stmt = stmt.where(models.Event.seq.between(lo, hi))
        wanted = set(seqs)
        return {s: e for s, e in conn.execute(stmt) if s in wanted}
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(seqs), 500):
        found.update({s: e for s, e in conn.execute(stmt.where(models.Event.seq.in_(chunk)))})
    return found


def _chunks(items: list[int], n: int) -> list[list[int]]:
    return [items[i : i + n] for i in range(0, len(items), n)]
