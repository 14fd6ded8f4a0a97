"""Rating slots (一次一评): first press wins, late and stray presses are counted and ignored, a
press never lands on another resident's service; 差评 opens a callback and a rectification."""

from __future__ import annotations

import pytest

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DomainError, FollowUpNotFound, NoOpenRatingSlot

from .support import at_local, dump, new_engine, outbox, query, variant


def serve(engine: QueueEngine, clock: ManualClock, service: str = "pension_enrol", window: int = 1) -> str:
    """Issue, call and finish one resident at `window`; returns the open rating slot's id."""
    engine.issue(service)
    clock.advance(5)
    engine.call_next(window)
    clock.advance(60)
    rating_id = engine.finish(window)["rating_id"]
    clock.advance(2)
    return str(rating_id)


def ratings(db: Database) -> list[tuple[object, ...]]:
    return query(db, "SELECT status, level, satisfied, dissatisfied, ignored_presses, source FROM ratings")


def ignored(db: Database) -> list[tuple[object, ...]]:
    return query(db, "SELECT window_number, reason FROM ignored_presses ORDER BY id")


def test_rate_records_a_satisfied_level(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    rating_id = serve(engine, clock)
    outcome = engine.rate(1, 2)
    assert (outcome.accepted, outcome.level, outcome.reason, outcome.rating_id) == (
        True,
        2,
        "rated",
        rating_id,
    )
    assert ratings(db) == [("rated", 2, 1, 0, 0, "touch")]
    last = outbox(db)[-1]
    assert last["type"] == "rating.recorded"
    assert last["payload"]["rating"]["level"] == 2 and last["payload"]["followups"] == []
    assert query(db, "SELECT count(*) FROM followups") == [(0,)]


def test_double_press_first_wins_second_is_counted(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    serve(engine, clock)
    first = engine.press_rating_key(1, 0)  # 非常满意
    clock.advance(1)
    second = engine.press_rating_key(1, 4)  # 非常不满意, too late to change anything
    assert first.accepted and first.level == 1
    assert (second.accepted, second.reason) == (False, "already_rated")
    assert ratings(db) == [("rated", 1, 1, 0, 1, "keypad")]
    assert ignored(db) == [(1, "already_rated")]
    assert query(db, "SELECT count(*) FROM followups") == [(0,)]  # the 5 did not open a 差评 loop
    assert [e["type"] for e in outbox(db)][-2:] == ["rating.recorded", "rating.press_ignored"]
    assert outbox(db)[-1]["payload"]["rating"]["ignored_presses"] == 1


def test_strict_rate_twice_raises_and_changes_nothing(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    serve(engine, clock)
    engine.rate(1, 1)
    before = dump(db.path)
    with pytest.raises(NoOpenRatingSlot) as info:
        engine.rate(1, 3)
    assert info.value.reason == "already_rated"
    assert dump(db.path) == before


def test_late_press_after_the_timeout_is_expired(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    serve(engine, clock)
    clock.advance(61)  # timeout_seconds: 60 (the slot opened 2 s ago)
    late = engine.press_rating_key(1, 0)
    assert (late.accepted, late.reason) == (False, "expired")
    assert ignored(db) == [(1, "expired")]
    # The slot is still open in the table until the ticker ends it as 未评价.
    assert engine.expire_rating_slots() == 1
    assert ratings(db) == [("unrated", None, None, None, 0, None)]
    assert outbox(db)[-1]["type"] == "rating.expired"
    assert engine.expire_rating_slots() == 0


def test_late_press_after_the_ticker_ended_the_slot_is_still_expired(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    serve(engine, clock)
    clock.advance(61)
    assert engine.expire_rating_slots() == 1
    late = engine.press_rating_key(1, 1)
    assert (late.accepted, late.reason) == (False, "expired")
    assert ratings(db) == [("unrated", None, None, None, 0, None)]


def test_strict_rate_after_timeout_changes_nothing(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    serve(engine, clock)
    clock.advance(120)
    before = dump(db.path)
    with pytest.raises(NoOpenRatingSlot) as info:
        engine.rate(1, 1)
    assert info.value.reason == "expired"
    assert dump(db.path) == before


def test_press_just_before_the_timeout_counts(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    serve(engine, clock)
    clock.advance(57)  # 59 s after the slot opened
    assert engine.press_rating_key(1, 2).accepted


def test_press_after_the_next_resident_was_called_lands_nowhere(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    serve(engine, clock)
    engine.issue("pension_enrol")
    engine.call_next(1)  # the next resident is called before the first one rated
    called = outbox(db)[-1]
    assert called["type"] == "handling.called"
    assert called["payload"]["rating"]["status"] == "unrated"  # the previous slot ended 未评价
    clock.advance(3)
    press = engine.press_rating_key(1, 0)
    assert (press.accepted, press.reason) == (False, "no_slot")
    assert ratings(db) == [("unrated", None, None, None, 0, None)]  # nothing moved onto anyone
    assert ignored(db) == [(1, "no_slot")]
    # The second resident's own slot opens only when their service finishes.
    clock.advance(30)
    engine.finish(1)
    assert engine.press_rating_key(1, 1).accepted
    assert query(db, "SELECT status, level FROM ratings ORDER BY opened_at") == [
        ("unrated", None),
        ("rated", 2),
    ]


def test_press_with_nothing_ever_served(engine: QueueEngine, db: Database) -> None:
    press = engine.press_rating_key(2, 0)
    assert (press.accepted, press.reason) == (False, "no_slot")
    assert ignored(db) == [(2, "no_slot")]
    assert outbox(db)[-1]["payload"]["ignored_press"]["reason"] == "no_slot"


def test_a_slot_belongs_to_its_window(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    serve(engine, clock, window=1)
    assert engine.press_rating_key(2, 0).reason == "no_slot"
    assert engine.press_rating_key(1, 0).accepted


def test_unknown_key_is_ignored(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    serve(engine, clock)
    press = engine.press_rating_key(1, 7)
    assert (press.accepted, press.reason) == (False, "unknown_key")
    assert ratings(db)[0][0] == "open"  # the slot still waits for a real key


def test_four_key_pad(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, rating__keypad_keys={0: 1, 1: 2, 2: 3, 3: 4})
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    serve(engine, clock)
    assert engine.press_rating_key(1, 4).reason == "unknown_key"  # there is no fifth key
    out = engine.press_rating_key(1, 3)
    assert (out.accepted, out.level) == (True, 4)  # 不满意 on a 4-key pad
    assert query(db, "SELECT kind FROM followups ORDER BY kind") == [("callback",), ("rectification",)]


def test_satisfied_levels_are_configuration(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, rating__satisfied_levels=[1, 2])
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    serve(engine, clock)
    engine.rate(1, 3)  # 基本满意 is neither satisfied nor dissatisfied here
    assert ratings(db) == [("rated", 3, 0, 0, 0, "touch")]


def test_rating_level_out_of_range(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    serve(engine, clock)
    before = dump(db.path)
    with pytest.raises(DomainError):
        engine.rate(1, 6)
    assert dump(db.path) == before


def test_finishing_opens_exactly_one_slot_per_service(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    for _ in range(3):
        serve(engine, clock)
    assert query(db, "SELECT count(*), count(DISTINCT handling_id) FROM ratings") == [(3, 3)]
    assert query(db, "SELECT status FROM ratings ORDER BY opened_at") == [
        ("unrated",),
        ("unrated",),
        ("open",),
    ]


def test_no_show_hold_and_transfer_open_no_slot(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    for _ in range(3):
        engine.issue("pension_enrol")
    engine.call_next(1)
    engine.no_show(1)
    clock.advance(1)
    engine.call_next(1)
    engine.hold(1)
    clock.advance(1)
    engine.call_next(1)
    engine.transfer(1, "social_card")
    assert query(db, "SELECT count(*) FROM ratings") == [(0,)]


def test_close_day_ends_open_slots_unrated(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    serve(engine, clock)
    engine.close_day()
    assert ratings(db) == [("unrated", None, None, None, 0, None)]
    assert "rating.expired" in [e["type"] for e in outbox(db)]


# ---- 差评 → 回访 and 整改, in working days ------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "callback_due", "rectify_due"),
    [
        # 国庆 2025: 10-01..10-08 off; 09-28 (Sun) and 10-11 (Sat) are make-up workdays.
        ("2025-09-30", "2025-10-09", "2025-10-28"),
        ("2025-09-26", "2025-09-28", "2025-10-23"),
        # 春节 2026: 02-15..02-23 off; 02-14 (Sat) and 02-28 (Sat) are workdays.
        ("2026-02-13", "2026-02-14", "2026-03-12"),
        ("2026-02-14", "2026-02-24", "2026-03-13"),
        # An ordinary Thursday.
        ("2026-11-26", "2026-11-27", "2026-12-17"),
    ],
)
@pytest.mark.parametrize("level", [4, 5])
def test_dissatisfied_rating_opens_callback_and_rectification(
    sample_config: HallConfig, db: Database, day: str, callback_due: str, rectify_due: str, level: int
) -> None:
    engine, clock = new_engine(sample_config, db, at_local(day, "10:00"))
    serve(engine, clock)
    out = engine.rate(1, level)
    assert out.accepted
    rows = query(db, "SELECT kind, business_date, due_date, status, rating_id FROM followups ORDER BY kind")
    assert rows == [
        ("callback", day, callback_due, "open", out.rating_id),
        ("rectification", day, rectify_due, "open", out.rating_id),
    ]
    payload = outbox(db)[-1]["payload"]
    assert sorted((f["kind"], f["due_date"]) for f in payload["followups"]) == [
        ("callback", callback_due),
        ("rectification", rectify_due),
    ]
    assert ratings(db) == [("rated", level, 0, 1, 0, "touch")]


def test_dates_in_the_test_table_come_from_chinese_calendar() -> None:
    import datetime as dt

    import chinese_calendar

    def workday(s: str) -> bool:
        return bool(chinese_calendar.is_workday(dt.date.fromisoformat(s)))

    assert not any(workday(f"2025-10-0{d}") for d in range(1, 9))
    assert workday("2025-09-28") and workday("2025-10-11") and workday("2025-10-09")
    assert not any(workday(f"2026-02-{d}") for d in range(15, 24))
    assert workday("2026-02-14") and workday("2026-02-28") and workday("2026-02-24")


def test_record_followup(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    serve(engine, clock)
    engine.rate(1, 5)
    ((callback_id,),) = query(db, "SELECT id FROM followups WHERE kind = 'callback'")
    engine.record_followup(callback_id, "已电话回访，居民表示理解")
    assert query(db, "SELECT status, result FROM followups WHERE id = ?", callback_id) == [
        ("done", "已电话回访，居民表示理解")
    ]
    assert outbox(db)[-1]["type"] == "followup.updated"
    before = dump(db.path)
    with pytest.raises(FollowUpNotFound):
        engine.record_followup("no-such-id", "x")
    assert dump(db.path) == before
