"""Configuration published by the street centre to the halls (service catalogue, guides, holidays).

Versions are one increasing number across all documents; a kiosk asks "anything after version N?" and
gets, per kind, the newest document meant for its hall (a hall-specific one beats the street-wide one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select

from sync.centre import models

KINDS = ("catalogue", "guides", "holidays")


def publish(conn: Connection, kind: str, body: Any, now: datetime, hall_id: str | None = None) -> int:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    result = conn.execute(
        insert(models.ConfigDoc).values(kind=kind, body=body, hall_id=hall_id, published_at=now)
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def updates_since(conn: Connection, hall_id: str, since: int) -> dict[str, Any]:
    rows = conn.execute(
        select(models.ConfigDoc)
        .where(or_(models.ConfigDoc.hall_id.is_(None), models.ConfigDoc.hall_id == hall_id))
        .order_by(models.ConfigDoc.version)
    ).all()
    latest: dict[str, Any] = {}
    for doc in rows:
        old = latest.get(doc.kind)
        # a hall's own document is not displaced by a later street-wide one
        if old is None or doc.hall_id is not None or old.hall_id is None:
            latest[doc.kind] = doc
    version = max((d.version for d in latest.values()), default=0)
    docs = [
        {"kind": d.kind, "version": d.version, "body": d.body}
        for d in sorted(latest.values(), key=lambda d: d.version)
        if d.version > since
    ]
    return {"version": max(version, since) if docs else max(version, 0), "documents": docs}
