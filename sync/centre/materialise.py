"""Materialise tickets, handlings, ratings and follow-ups from newly stored events.

Each event carries full snapshots of the rows it touched. We UPSERT them keyed on (hall, id) and only
let a snapshot replace the stored one when it comes from a *later* seq: the result is the same whatever
order batches arrive in, and replaying an event changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from sync.centre import bulk

SNAPSHOT_KEYS = ("ticket", "handling", "rating")


class HallMismatch(ValueError):
    """A snapshot names a hall other than the kiosk's own."""


def _insert(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _followups(payload: Mapping[str, Any]) -> list[Any]:
    value = payload.get("followups")
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A snapshot field for a text column, whatever the kiosk put there (a kiosk's bug is not a 500)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def check_halls(events: Iterable[Mapping[str, Any]], hall_id: str) -> None:
    """Refuse a batch if any snapshot inside it belongs to another hall (nothing is stored then)."""
    for ev in events:
        payload = ev["payload"]
        snaps: list[Any] = [payload.get(k) for k in (*SNAPSHOT_KEYS, "window", "day_close", "ignored_press")]
        snaps.extend(_followups(payload))
        for snap in snaps:
            if isinstance(snap, dict) and snap.get("hall_id", hall_id) != hall_id:
                raise HallMismatch(
                    f"event seq {ev['seq']} carries a snapshot of hall {snap.get('hall_id')!r}"
                )


def collect(
    events: Iterable[Mapping[str, Any]], kiosk_id: str, hall_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Latest snapshot per key within the batch (PostgreSQL refuses to upsert one row twice per statement)."""
    latest: dict[str, dict[Any, dict[str, Any]]] = {
        "ticket": {},
        "handling": {},
        "rating": {},
        "followup": {},
        "window": {},
        "day_close": {},
    }
    ignored: list[dict[str, Any]] = []

    def keep(kind: str, key: Any, row: dict[str, Any]) -> None:
        old = latest[kind].get(key)
        if old is None or old["src_seq"] < row["src_seq"]:
            latest[kind][key] = row

    for ev in events:
        seq = int(ev["seq"])
        payload = ev["payload"]
        day = ev["business_date"]
        snaps = [(k, payload.get(k)) for k in SNAPSHOT_KEYS]
        snaps.extend(("followup", f) for f in _followups(payload))
        for kind, snap in snaps:
            if not isinstance(snap, dict) or "id" not in snap:
                continue
            row = {
                "hall_id": hall_id,
                "id": str(snap["id"]),
                "business_date": str(snap.get("business_date") or day),
                "src_seq": seq,
                "data": snap,
            }
            if kind == "followup":
                row.update(
                    kind=snap.get("kind", ""),
                    status=snap.get("status", "open"),
                    due_date=snap.get("due_date"),
                )
            keep(kind, row["id"], row)
        win = payload.get("window")
        if isinstance(win, dict) and "number" in win:
            keep(
                "window",
                str(win["number"]),
                {
                    "hall_id": hall_id,
                    "number": str(win["number"]),
                    "status": _text(win.get("status")) or "",
                    "src_seq": seq,
                },
            )
        close = payload.get("day_close")
        if isinstance(close, dict):
            bday = str(close.get("business_date") or day)
            keep(
                "day_close",
                bday,
                {
                    "hall_id": hall_id,
                    "business_date": bday,
                    "closed_at": str(close.get("closed_at", "")),
                    "src_seq": seq,
                    "data": close,
                },
            )
        press = payload.get("ignored_press")
        if isinstance(press, dict):
            ignored.append(
                {
                    "kiosk_id": kiosk_id,
                    "src_seq": seq,
                    "hall_id": hall_id,
                    "business_date": str(press.get("business_date") or day),
                    "data": press,
                }
            )
    out = {kind: list(rows.values()) for kind, rows in latest.items()}
    out["ignored_press"] = ignored
    return out


_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ticket": ("tickets", ("hall_id", "id"), ("business_date", "src_seq", "data")),
    "handling": ("handlings", ("hall_id", "id"), ("business_date", "src_seq", "data")),
    "rating": ("ratings", ("hall_id", "id"), ("business_date", "src_seq", "data")),
    "followup": (
        "followups",
        ("hall_id", "id"),
        ("business_date", "src_seq", "data", "kind", "status", "due_date"),
    ),
    "window": ("windows", ("hall_id", "number"), ("status", "src_seq")),
    "day_close": ("day_closes", ("hall_id", "business_date"), ("closed_at", "src_seq", "data")),
}


def apply(conn: Connection, events: Sequence[Mapping[str, Any]], kiosk_id: str, hall_id: str) -> None:
    """Upsert every snapshot carried by ``events`` (already stored, all new) into the entity tables."""
    if not events:
        return
    groups = collect(events, kiosk_id, hall_id)
    for kind, (table, keys, cols) in _TABLES.items():
        bulk.upsert(conn, table, keys, cols, groups[kind])
    bulk.insert_ignore(
        conn,
        "ignored_presses",
        ("kiosk_id", "src_seq", "hall_id", "business_date", "data"),
        groups["ignored_press"],
    )
