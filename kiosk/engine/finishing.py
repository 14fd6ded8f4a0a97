"""Finish a service with an outcome (办结 / 材料不全 / 承诺件 / 转办) and open its one rating slot."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.context import Context
from kiosk.engine.errors import InvalidOutcome
from kiosk.engine.notices import Notice, NoticeKind
from kiosk.engine.rows import end_handling, new_followup, require_current
from sync.contract.enums import (
    FINISHED_OUTCOMES,
    FollowupKind,
    Outcome,
    RatingStatus,
    TicketStatus,
)

OUTCOME_LABELS = {
    Outcome.COMPLETED: "办结",
    Outcome.MATERIALS_INCOMPLETE: "材料不全（已一次性告知）",
    Outcome.PROMISED: "承诺件",
    Outcome.REFERRED: "转办",
}


def finish(
    s: Session,
    ctx: Context,
    window: int,
    outcome: Outcome | str = Outcome.COMPLETED,
    missing_materials: list[str] | None = None,
) -> dict[str, Any]:
    if outcome not in FINISHED_OUTCOMES:
        choices = ", ".join(o for o in Outcome if o in FINISHED_OUTCOMES)  # in the order staff see them
        raise InvalidOutcome(f"未知的办理结果：{outcome}（可选 {choices}）")
    outcome = Outcome(outcome)
    ws, h, t = require_current(s, ctx, window)
    service = ctx.service(t.service_code)
    missing = list(missing_materials or [])
    if outcome == Outcome.MATERIALS_INCOMPLETE:
        known = [mat.name for mat in service.guide.materials]
        unknown = [x for x in missing if x not in known]
        if not missing or unknown:
            raise InvalidOutcome(
                f"材料不全须注明缺少的材料，且须是办事指南所列材料：{'、'.join(known)}"
                + (f"（不认识：{'、'.join(unknown)}）" if unknown else "")
            )
    elif missing:
        raise InvalidOutcome("只有“材料不全”才记录缺少的材料")
    if outcome == Outcome.PROMISED and service.guide.promised_days == 0:
        raise InvalidOutcome(f"{service.name}是即办件，没有承诺时限")
    now = ctx.now()
    day = ctx.today(now)
    if h.started_at is None:
        h.started_at = h.called_at
    end_handling(s, ctx, ws, h, outcome)
    h.missing_materials = missing
    followups: list[m.FollowUp] = []
    if outcome == Outcome.PROMISED:
        h.promised_due = ctx.calendar.add_working_days(day, service.guide.promised_days)
        followups.append(new_followup(ctx, FollowupKind.PROMISED, day, h, h.promised_due))
    t.status = TicketStatus.FINISHED
    slot = m.Rating(
        id=str(uuid.uuid4()),
        handling_id=h.id,
        ticket_id=t.id,
        business_date=day,
        window_number=window,
        service_code=t.service_code,
        opened_at=now,
        expires_at=now + dt.timedelta(seconds=ctx.config.rating.timeout_seconds),
        status=RatingStatus.OPEN,
        ignored_presses=0,
        staff_id=h.staff_id,  # whoever served, even if they sign out before the resident rates
    )
    s.add(slot)
    s.add_all(followups)
    s.flush()
    ctx.emit(
        s,
        "handling.finished",
        now,
        ticket=ctx.snap_ticket(t),
        handling=ctx.snap_handling(h),
        rating=ctx.snap_rating(slot),
        followups=[ctx.snap_followup(f) for f in followups],
    )
    ctx.notify(
        s, Notice(NoticeKind.FINISHED, window, t.number, t.id, t.service_code, detail={"rating_id": slot.id})
    )
    return {"ticket_id": t.id, "handling_id": h.id, "rating_id": slot.id, "promised_due": h.promised_due}
