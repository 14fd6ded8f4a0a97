"""Read-only queries the screens use, listener notices, and the background expiry ticker."""

from __future__ import annotations

import time

from kiosk.db import models as m
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.context import Notice
from kiosk.engine.engine import QueueEngine

from .support import query


def test_three_digit_numbers(engine: QueueEngine) -> None:
    numbers = [engine.issue("residence_proof").number for _ in range(10)]
    assert numbers[0] == "J001" and numbers[-1] == "J010"


def test_waiting_count_and_overview(engine: QueueEngine) -> None:
    engine.issue("pension_enrol")
    engine.issue("social_card")
    engine.issue("minimum_living")
    assert engine.waiting_count(1) == 2
    assert engine.waiting_count(3) == 1
    engine.call_next(1)
    assert engine.waiting_count(1) == 1
    overview = engine.queue_overview()
    # What the next arrival would wait: 1 ahead × 10 min ÷ 2 windows = 5 min → 3.5 → 0 ; 6.5 → 10
    assert overview["social_card"] == {"waiting": 1, "wait_min": 0, "wait_max": 10, "refused": ""}
    assert overview["pension_enrol"]["waiting"] == 0
    assert set(overview) == {s.code for s in engine.config.services}


def test_recent_calls_newest_first(engine: QueueEngine, clock: ManualClock) -> None:
    for _ in range(3):
        engine.issue("pension_enrol")
    engine.call_next(1)
    clock.advance(10)
    engine.call_next(2)
    clock.advance(10)
    engine.recall(1)
    calls = engine.recent_calls()
    assert [(n, w) for n, w, _ in calls] == [("A001", 1), ("A002", 2)]  # a recall moves A001 up


def test_print_failures_and_outbox_backlog(engine: QueueEngine, db: Database) -> None:
    a = engine.issue("pension_enrol")
    b = engine.issue("pension_enrol")
    engine.record_print_result(a.id, "failed", "缺纸")
    engine.record_print_result(b.id, "printed")
    assert engine.print_failures() == [(a.id, "A001", "缺纸")]
    assert engine.outbox_backlog() == 4
    db.run(lambda s: s.merge(m.SyncState(id=1, acked_seq=3)))
    assert engine.outbox_backlog() == 1


def test_notices_follow_commits(engine: QueueEngine, clock: ManualClock) -> None:
    seen: list[Notice] = []
    engine.subscribe(seen.append)
    engine.subscribe(lambda n: 1 / 0)  # a failing listener does not stop the others
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.recall(1)
    engine.no_show(1, requeue=True)
    engine.pause(2)
    engine.resume(2)
    clock.advance(1)
    engine.call_next(1)
    engine.finish(1)
    engine.press_rating_key(1, 0)
    engine.close_day()
    assert [(n.kind, n.window, n.number, n.recall) for n in seen] == [
        ("issued", None, "A001", False),
        ("called", 1, "A001", False),
        ("called", 1, "A001", True),
        ("no_show", 1, "A001", False),
        ("paused", 2, None, False),
        ("resumed", 2, None, False),
        ("called", 1, "A001", False),
        ("finished", 1, "A001", False),
        ("rating", 1, None, False),
        ("closed", None, None, False),
    ]
    assert seen[3].detail == {"requeued": True}


def test_ticker_expires_slots_on_its_own(engine: QueueEngine, clock: ManualClock, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.finish(1)
    clock.advance(61)
    engine.start_ticker(interval=0.01)
    try:
        deadline = time.monotonic() + 30  # generous: a slow machine only waits longer
        while query(db, "SELECT status FROM ratings") != [("unrated",)] and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        engine.stop()
    assert query(db, "SELECT status FROM ratings") == [("unrated",)]


def test_hold_and_transfer_tell_the_listeners(engine: QueueEngine, clock: ManualClock) -> None:
    """The window is free again after either, and a transfer grows another service's queue."""
    seen: list[Notice] = []
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    engine.subscribe(seen.append)
    engine.call_next(1)
    engine.hold(1)
    clock.advance(1)
    engine.call_next(1)
    engine.transfer(1, "social_card")
    assert [(n.kind, n.window, n.number, n.service_code) for n in seen] == [
        ("called", 1, "A001", "pension_enrol"),
        ("held", 1, "A001", "pension_enrol"),
        ("called", 1, "A002", "pension_enrol"),
        ("transferred", 1, "A002", "social_card"),
    ]
