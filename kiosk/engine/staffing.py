"""Who serves at each window (责任到人): a staff member signs in at a window with their 工号 and their own
PIN (checked against the roster's hash); every call made there records them, and the rating of a
service belongs to whoever called it, even when the resident rates after they signed out. Signing in
elsewhere, signing out, or the close of day ends the shift."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.config.pin import verify_pin
from kiosk.db import models as m
from kiosk.engine.context import Context, Notice
from kiosk.engine.errors import DomainError
from kiosk.engine.notices import NoticeKind
from sync.contract.enums import ShiftEnd


class SignInRefused(DomainError):
    """Unknown 工号 or wrong PIN (one message for both: the screen does not say which)."""


def shift_snapshot(shift: m.StaffShift, hall_id: str) -> dict[str, Any]:
    from kiosk.engine.outbox import _iso

    return {
        "id": shift.id,
        "hall_id": hall_id,
        "business_date": _iso(shift.business_date),
        "window_number": shift.window_number,
        "staff_id": shift.staff_id,
        "staff_name": shift.staff_name,
        "started_at": _iso(shift.started_at),
        "ended_at": _iso(shift.ended_at),
        "end_reason": shift.end_reason,
    }


def open_shifts(s: Session) -> list[m.StaffShift]:
    return list(s.scalars(select(m.StaffShift).where(m.StaffShift.ended_at.is_(None))))


def on_duty(s: Session, window: int) -> m.StaffShift | None:
    return s.scalar(
        select(m.StaffShift).where(m.StaffShift.window_number == window, m.StaffShift.ended_at.is_(None))
    )


def _end(s: Session, ctx: Context, shift: m.StaffShift, reason: ShiftEnd) -> None:
    now = ctx.now()
    shift.ended_at = now
    shift.end_reason = reason.value
    s.flush()
    ctx.emit(s, "staff.signed_out", now, shift=shift_snapshot(shift, ctx.hall_id))
    ctx.notify(s, Notice(NoticeKind.SIGNED_OUT, shift.window_number, detail=shift.staff_id))


def sign_in(s: Session, ctx: Context, window: int, staff_id: str, pin: str) -> m.StaffShift:
    ctx.check_window(window)
    entry = next((r for r in ctx.config.staff.roster if r.staff_id == staff_id.strip()), None)
    if entry is None or not verify_pin(pin, entry.pin_hash):
        raise SignInRefused("工号或密码不对")
    current = on_duty(s, window)
    if current is not None and current.staff_id == entry.staff_id:
        return current
    if current is not None:
        _end(s, ctx, current, ShiftEnd.REPLACED)
    for other in open_shifts(s):
        if other.staff_id == entry.staff_id:
            _end(s, ctx, other, ShiftEnd.MOVED)
    now = ctx.now()
    shift = m.StaffShift(
        id=str(uuid.uuid4()),
        business_date=ctx.today(now),
        window_number=window,
        staff_id=entry.staff_id,
        staff_name=entry.name,
        started_at=now,
    )
    s.add(shift)
    s.flush()
    ctx.emit(s, "staff.signed_in", now, shift=shift_snapshot(shift, ctx.hall_id))
    ctx.notify(s, Notice(NoticeKind.SIGNED_IN, window, detail=entry.staff_id))
    return shift


def sign_out(s: Session, ctx: Context, window: int) -> bool:
    shift = on_duty(s, window)
    if shift is None:
        return False
    _end(s, ctx, shift, ShiftEnd.SIGNED_OUT)
    return True


def end_all(s: Session, ctx: Context) -> int:
    """The close of day ends every shift still open."""
    shifts = open_shifts(s)
    for shift in shifts:
        _end(s, ctx, shift, ShiftEnd.DAY_CLOSED)
    return len(shifts)


def staff_at(s: Session, window: int) -> str | None:
    shift = on_duty(s, window)
    return shift.staff_id if shift else None
