"""Ratings, one per service (一次一评): the first key wins, later presses are counted and ignored,
an unanswered slot ends as 未评价, and a press can never reach another resident's service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.clock import as_utc
from kiosk.engine.context import Context
from kiosk.engine.errors import DomainError, NoOpenRatingSlot
from kiosk.engine.notices import Notice, NoticeKind
from kiosk.engine.rows import new_followup, open_slot
from sync.contract.enums import FollowupKind, IgnoredReason, RatingStatus

LEVEL_LABELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}


@dataclass(frozen=True)
class RatingOutcome:
    accepted: bool
    window: int
    level: int | None
    reason: str  # "rated" or why it was ignored: no_slot | already_rated | expired | unknown_key
    rating_id: str | None = None


def rate(s: Session, ctx: Context, window: int, level: int, source: str = "keypad") -> RatingOutcome:
    if level not in LEVEL_LABELS:
        raise DomainError(f"评价等级是 1 到 5，收到 {level}")
    ctx.check_window(window)
    now = ctx.now()
    slot = open_slot(s, window)
    if slot is None:
        raise NoOpenRatingSlot(f"{window} 号窗口没有待评价的服务", _why_no_slot(s, window, now))
    if as_utc(slot.expires_at) <= now:
        raise NoOpenRatingSlot(f"{window} 号窗口的评价已超时", IgnoredReason.EXPIRED)
    cfg = ctx.config.rating
    slot.status = RatingStatus.RATED
    slot.level = level
    slot.rated_at = now
    slot.source = source
    slot.satisfied = level in cfg.satisfied_levels
    slot.dissatisfied = level in cfg.dissatisfied_levels
    followups = []
    if slot.dissatisfied:
        h = s.get(m.Handling, slot.handling_id)
        assert h is not None
        day = ctx.today(now)
        followups = [
            new_followup(
                ctx,
                FollowupKind.CALLBACK,
                day,
                h,
                ctx.calendar.add_working_days(day, cfg.callback_working_days),
                slot.id,
            ),
            new_followup(
                ctx,
                FollowupKind.RECTIFICATION,
                day,
                h,
                ctx.calendar.add_working_days(day, cfg.rectify_working_days),
                slot.id,
            ),
        ]
        s.add_all(followups)
    s.flush()
    ctx.emit(
        s,
        "rating.recorded",
        now,
        rating=ctx.snap_rating(slot),
        followups=[ctx.snap_followup(f) for f in followups],
    )
    ctx.notify(s, Notice(NoticeKind.RATING, window, detail={"level": level, "rating_id": slot.id}))
    return RatingOutcome(True, window, level, RatingStatus.RATED, slot.id)


def _why_no_slot(s: Session, window: int, now: dt.datetime) -> IgnoredReason:
    """Why a press found no open slot, judged from the window's latest slot, so the reason does not
    depend on whether the ticker has already ended an unanswered slot."""
    last = s.scalar(
        select(m.Rating).where(m.Rating.window_number == window).order_by(m.Rating.opened_at.desc())
    )
    if last is None:
        return IgnoredReason.NO_SLOT
    if last.status == RatingStatus.RATED and _within(last, now):
        return IgnoredReason.ALREADY_RATED
    if last.status == RatingStatus.UNRATED and as_utc(last.expires_at) <= now:
        return IgnoredReason.EXPIRED
    return IgnoredReason.NO_SLOT


def _last_rated(s: Session, window: int) -> m.Rating | None:
    return s.scalar(
        select(m.Rating)
        .where(m.Rating.window_number == window, m.Rating.status == RatingStatus.RATED)
        .order_by(m.Rating.rated_at.desc())
    )


def _within(slot: m.Rating, now: dt.datetime) -> bool:
    return slot.rated_at is not None and as_utc(slot.expires_at) > now


def press_rating_key(
    s: Session, ctx: Context, window: int, key_index: int, source: str = "keypad"
) -> RatingOutcome:
    """A resident pressed a rating key. Applies it, or counts it as ignored; never raises for a
    late or repeated press, because a resident's press is not an error."""
    level = ctx.config.rating.keypad_keys.get(key_index)
    if level is None:
        return _ignore(s, ctx, window, IgnoredReason.UNKNOWN_KEY)
    return press_level(s, ctx, window, level, source)


def press_level(s: Session, ctx: Context, window: int, level: int, source: str) -> RatingOutcome:
    try:
        with s.begin_nested():
            return rate(s, ctx, window, level, source)
    except NoOpenRatingSlot as exc:
        return _ignore(s, ctx, window, exc.reason)


def _ignore(s: Session, ctx: Context, window: int, reason: str) -> RatingOutcome:
    ctx.check_window(window)
    now = ctx.now()
    press = m.IgnoredPress(business_date=ctx.today(now), window_number=window, at=now, reason=reason)
    s.add(press)
    payload: dict[str, object] = {
        "ignored_press": {
            "hall_id": ctx.hall_id,
            "business_date": ctx.today(now).isoformat(),
            "window_number": window,
            "at": now.isoformat(),
            "reason": reason,
        }
    }
    if reason == IgnoredReason.ALREADY_RATED:
        last = _last_rated(s, window)
        if last is not None:
            last.ignored_presses += 1
            payload["rating"] = ctx.snap_rating(last)
    s.flush()
    ctx.emit(s, "rating.press_ignored", now, **payload)
    return RatingOutcome(False, window, None, reason)


def expire_slots(s: Session, ctx: Context) -> int:
    """End every slot whose time is up as 未评价. Run by the engine's ticker."""
    now = ctx.now()
    due = list(
        s.scalars(select(m.Rating).where(m.Rating.status == RatingStatus.OPEN, m.Rating.expires_at <= now))
    )
    for slot in due:
        slot.status = RatingStatus.UNRATED
        s.flush()
        ctx.emit(s, "rating.expired", now, rating=ctx.snap_rating(slot))
    return len(due)
