"""Staff members' names as their hall's roster gives them, learnt from the kiosk's sign-in events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from sync.centre import models


def names(conn: Connection, hall_id: str | None) -> dict[tuple[str, str], str]:
    stmt = select(models.StaffMember.hall_id, models.StaffMember.staff_id, models.StaffMember.name)
    if hall_id is not None:
        stmt = stmt.where(models.StaffMember.hall_id == hall_id)
    return {(h, s): n for h, s, n in conn.execute(stmt)}


def learn(conn: Connection, hall_id: str, shifts: list[dict[str, Any]], now: dt.datetime) -> None:
    """Remember the name of each staff member a batch's sign-ins named (the newest name wins)."""
    latest: dict[str, str] = {}
    for s in shifts:
        sid, name = s.get("staff_id"), s.get("staff_name")
        if isinstance(sid, str) and isinstance(name, str) and sid and name:
            latest[sid[:32]] = name[:50]
    if not latest:
        return
    rows = [{"hall_id": hall_id, "staff_id": k, "name": v, "updated_at": now} for k, v in latest.items()]
    for r in rows:
        conn.execute(
            delete(models.StaffMember).where(
                models.StaffMember.hall_id == hall_id, models.StaffMember.staff_id == r["staff_id"]
            )
        )
        conn.execute(insert(models.StaffMember).values(**r))
