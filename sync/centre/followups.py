"""Follow-up results recorded by centre staff (回访 callbacks made, 整改 rectifications done).

The kiosk's follow-up snapshot stays as the kiosk sent it; what the centre learns is kept beside it, so a
later kiosk update can never erase a callback the centre recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from sync.centre import models
from sync.contract.enums import FollowupStatus

ACTIONS = ("callback", "rectification", "note")


class FollowupError(Exception):
    pass


def record(
    conn: Connection,
    hall_id: str,
    followup_id: str,
    action: str,
    result: str,
    by: str,
    now: datetime,
    done: bool = True,
) -> None:
    if action not in ACTIONS:
        raise FollowupError(f"action must be one of {', '.join(ACTIONS)}")
    if not result.strip():
        raise FollowupError("write what was done or found")
    exists = conn.execute(
        select(models.Followup.id).where(
            models.Followup.hall_id == hall_id, models.Followup.id == followup_id
        )
    ).first()
    if exists is None:
        raise FollowupError(f"no follow-up {followup_id} in hall {hall_id}")
    conn.execute(
        insert(models.FollowupResult).values(
            hall_id=hall_id,
            followup_id=followup_id,
            action=action,
            result=result.strip(),
            done=done,
            recorded_by=by,
            recorded_at=now,
        )
    )
    from sync.centre import day_store  # (day_store reads follow-ups: imported here, not at the top)

    day_store.refresh_followup(conn, hall_id, followup_id)


@dataclass
class FollowupView:
    """A follow-up as staff see it: the kiosk's snapshot plus what the centre recorded."""

    hall_id: str
    data: dict[str, Any]
    results: list[dict[str, Any]]

    @property
    def done(self) -> bool:
        return self.data.get("status") == FollowupStatus.DONE or any(r["done"] for r in self.results)

    @property
    def status(self) -> str:
        if self.data.get("status") == FollowupStatus.DONE:
            return FollowupStatus.DONE
        return "done at centre" if any(r["done"] for r in self.results) else "open"

    def overdue(self, today: date) -> bool:
        due = self.data.get("due_date")
        return not self.done and bool(due) and str(due) < today.isoformat()


def views(conn: Connection, rows: list[models.Followup]) -> list[FollowupView]:
    keys = {(r.hall_id, r.id) for r in rows}
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    halls = {h for h, _ in keys}
    if halls:
        for res in conn.execute(
            select(models.FollowupResult)
            .where(models.FollowupResult.hall_id.in_(halls))
            .order_by(models.FollowupResult.id)
        ):
            if (res.hall_id, res.followup_id) in keys:
                results.setdefault((res.hall_id, res.followup_id), []).append(
                    {
                        "action": res.action,
                        "result": res.result,
                        "done": res.done,
                        "by": res.recorded_by,
                        "at": res.recorded_at.isoformat(timespec="minutes"),
                    }
                )
    return [FollowupView(r.hall_id, r.data, results.get((r.hall_id, r.id), [])) for r in rows]
