"""Fast set-based writes for ingest, one per dialect.

PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays) … ON CONFLICT`` per table and batch, so a batch of
1,000 events costs a handful of round trips and a fixed-size statement (a multi-row VALUES list makes the
driver parse a statement with thousands of placeholders). SQLite: ``executemany`` of one prepared
statement. Table and column names come from this module only, never from a request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

_EVENT_COLS = ("kiosk_id", "seq", "event_id", "hall_id", "type", "occurred_at", "business_date", "payload")
_PG_TYPES = {
    "kiosk_id": "text", "seq": "bigint", "event_id": "text", "hall_id": "text", "type": "text",
    "occurred_at": "text", "business_date": "text", "payload": "text", "id": "text", "src_seq": "bigint",
    "data": "text", "number": "text", "status": "text", "kind": "text", "due_date": "text", "closed_at": "text",
}  # fmt: skip
_JSON_COLS = frozenset({"payload", "data"})


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _columns(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for c in cols:
        if c in _JSON_COLS:
            out.append([_dump(r[c]) for r in rows])
        else:
            out.append([r[c] for r in rows])
    return out


def _pg_select(cols: Sequence[str], extra: str = "") -> str:
    arrays = ", ".join(f"%b::{_PG_TYPES[c]}[]" for c in cols)  # %b: binary arrays, no escaping
    picks = ", ".join(f"{c}::json" if c in _JSON_COLS else c for c in cols)
    return f"SELECT {picks}{extra} FROM unnest({arrays}) AS t({', '.join(cols)})"


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]], received_at: datetime) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were really inserted."""
    if not rows:
        return 0
    cols = ", ".join((*_EVENT_COLS, "received_at"))
    if conn.dialect.name == "postgresql":
        sql = (
            f"INSERT INTO events ({cols}) {_pg_select(_EVENT_COLS, ', %s::timestamptz')} "
            "ON CONFLICT DO NOTHING RETURNING seq"
        )
        # the received_at placeholder comes first in the statement text
        params = (received_at, *_columns(rows, _EVENT_COLS))
        return len(conn.exec_driver_sql(sql, params).fetchall())
    marks = ", ".join("?" * (len(_EVENT_COLS) + 1))
    sql = f"INSERT INTO events ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    stamp = received_at.isoformat(sep=" ").replace("+00:00", "")
    data = [(*(_dump(r[c]) if c in _JSON_COLS else r[c] for c in _EVENT_COLS), stamp) for r in rows]
    return int(conn.exec_driver_sql(sql, data).rowcount)


def upsert(
    conn: Connection, table: str, keys: Sequence[str], cols: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert or replace by key, but only with a snapshot from a later seq (``src_seq``)."""
    if not rows:
        return
    all_cols = (*keys, *cols)
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
    tail = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets} WHERE {table}.src_seq < excluded.src_seq"
    if conn.dialect.name == "postgresql":
        sql = f"INSERT INTO {table} ({', '.join(all_cols)}) {_pg_select(all_cols)} {tail}"
        conn.exec_driver_sql(sql, tuple(_columns(rows, all_cols)))
        return
    sql = f"INSERT INTO {table} ({', '.join(all_cols)}) VALUES ({', '.join('?' * len(all_cols))}) {tail}"
    data = [tuple(_dump(r[c]) if c in _JSON_COLS else r[c] for c in all_cols) for r in rows]
    conn.exec_driver_sql(sql, data)


def insert_ignore(conn: Connection, table: str, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        sql = f"INSERT INTO {table} ({', '.join(cols)}) {_pg_select(cols)} ON CONFLICT DO NOTHING"
        conn.exec_driver_sql(sql, tuple(_columns(rows, cols)))
        return
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) ON CONFLICT DO NOTHING"
    conn.exec_driver_sql(sql, [tuple(_dump(r[c]) if c in _JSON_COLS else r[c] for c in cols) for r in rows])
