"""Helpers for the engine tests: config variants, database snapshots, outbox reading."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at_local(day: str, hhmm: str) -> dt.datetime:
    """An instant given as Shanghai wall time, e.g. at_local("2026-11-26", "09:05")."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI)


def variant(config: HallConfig, **changes: Any) -> HallConfig:
    """A copy of the config with top-level fields or dotted sub-fields changed, re-validated."""
    data = config.model_dump()
    for key, value in changes.items():
        target = data
        *parents, last = key.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value
    return HallConfig.model_validate(data)


def new_engine(config: HallConfig, db: Database, when: dt.datetime) -> tuple[QueueEngine, ManualClock]:
    clock = ManualClock(when)
    return QueueEngine(config, db, clock), clock


def dump(path: Path) -> list[str]:
    """The whole database as SQL text, to prove an operation changed nothing."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def outbox(db: Database) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db.path)
    try:
        rows = conn.execute("SELECT seq, type, payload FROM outbox ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [{"seq": seq, "type": type_, "payload": json.loads(payload)} for seq, type_, payload in rows]


def max_seq(db: Database) -> int:
    conn = sqlite3.connect(db.path)
    try:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0])
    finally:
        conn.close()


def query(db: Database, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db.path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
