"""Issuing (取号): numbering, cap, hours, priority, people ahead, wait estimate, idempotency."""

from __future__ import annotations

import pytest

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DailyCapReached, HallClosed, UnknownPriority, UnknownService

from .support import at_local, dump, max_seq, new_engine, outbox, query, variant


def test_numbers_run_per_prefix(engine: QueueEngine) -> None:
    numbers = [
        engine.issue(code).number
        for code in ["pension_enrol", "pension_enrol", "medical_insurance", "pension_enrol", "veteran_card"]
    ]
    assert numbers == ["A001", "A002", "B001", "A003", "L001"]


def test_issued_ticket_describes_itself(engine: QueueEngine) -> None:
    t = engine.issue("elderly_allowance", priority="elderly")
    assert t.created
    assert t.number == "F001"
    assert t.service_name == "高龄津贴申请"
    assert t.priority_label == "70岁以上老人"
    assert str(t.business_date) == "2026-11-26"
    assert t.windows == [3, 4]  # the windows that serve it
    assert t.promised_days == 15
    assert (t.people_ahead, t.wait_min_minutes, t.wait_max_minutes) == (0, 0, 5)
    row = engine.ticket(t.id)
    assert row is not None and row.status == "waiting" and row.print_status == "pending"


def test_every_ticket_has_its_issued_event(engine: QueueEngine, db: Database) -> None:
    ids = [engine.issue("pension_enrol").id for _ in range(3)]
    events = outbox(db)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["ticket.issued"] * 3
    assert [e["payload"]["ticket"]["id"] for e in events] == ids
    assert events[0]["payload"]["ticket"]["number"] == "A001"
    assert events[0]["payload"]["ticket"]["business_date"] == "2026-11-26"


def test_daily_cap(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, services__0__daily_cap=2)
    engine, _ = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    before = dump(db.path)
    with pytest.raises(DailyCapReached):
        engine.issue("pension_enrol")
    assert dump(db.path) == before
    assert engine.issue("medical_insurance").number == "B001"  # other services are unaffected


def test_request_id_makes_two_taps_one_ticket(engine: QueueEngine, db: Database) -> None:
    first = engine.issue("social_card", request_id="tap-1")
    again = engine.issue("social_card", request_id="tap-1")
    assert first.created and not again.created
    assert again.id == first.id and again.number == first.number == "C001"
    assert query(db, "SELECT count(*) FROM tickets") == [(1,)]
    assert [e["type"] for e in outbox(db)] == ["ticket.issued"]
    assert engine.issue("social_card", request_id="tap-2").number == "C002"


def test_repeated_request_id_returns_the_ticket_even_after_hours(
    engine: QueueEngine, clock: ManualClock
) -> None:
    first = engine.issue("social_card", request_id="tap-1")
    clock.set(at_local("2026-11-26", "12:10"))
    assert engine.issue("social_card", request_id="tap-1").id == first.id
    with pytest.raises(HallClosed):
        engine.issue("social_card", request_id="tap-2")


@pytest.mark.parametrize(
    ("day", "hhmm", "is_open", "reason"),
    [
        ("2026-11-26", "08:59", False, "现在不是办公时间"),
        ("2026-11-26", "09:00", True, ""),
        ("2026-11-26", "11:29", True, ""),
        ("2026-11-26", "11:30", False, "本时段取号已截止"),
        ("2026-11-26", "11:59", False, "本时段取号已截止"),
        ("2026-11-26", "12:00", False, "现在不是办公时间"),
        ("2026-11-26", "13:59", False, "现在不是办公时间"),
        ("2026-11-26", "14:00", True, ""),
        ("2026-11-26", "16:59", True, ""),
        ("2026-11-26", "17:00", False, "本时段取号已截止"),
        ("2026-11-26", "17:30", False, "现在不是办公时间"),
        ("2026-11-26", "23:59", False, "现在不是办公时间"),
        ("2026-11-28", "10:00", False, "今天不办公"),  # Saturday
        ("2026-10-01", "10:00", False, "今天不办公"),  # 国庆 on a Thursday
        ("2026-02-28", "10:00", True, ""),  # Saturday, a 调休 workday of 春节 2026
    ],
)
def test_opening_sessions_and_cutoff(
    engine: QueueEngine, db: Database, clock: ManualClock, day: str, hhmm: str, is_open: bool, reason: str
) -> None:
    clock.set(at_local(day, hhmm))
    state = engine.issuing_state()
    assert (state.open, state.reason) == (is_open, reason)
    if is_open:
        assert engine.issue("pension_enrol").number == "A001"
    else:
        with pytest.raises(HallClosed) as info:
            engine.issue("pension_enrol")
        assert info.value.message == reason
        assert max_seq(db) == 0


def test_next_opening_is_told(engine: QueueEngine, clock: ManualClock) -> None:
    clock.set(at_local("2026-11-26", "11:45"))
    assert engine.issuing_state().next_opening == at_local("2026-11-26", "14:00")
    clock.set(at_local("2026-11-27", "17:40"))  # Friday evening → Monday morning
    assert engine.issuing_state().next_opening == at_local("2026-11-30", "09:00")


def test_open_on_non_working_days(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, open_on_non_working_days=True)
    engine, clock = new_engine(cfg, db, at_local("2026-11-28", "10:00"))
    assert engine.issue("pension_enrol").number == "A001"
    clock.set(at_local("2026-11-28", "11:40"))
    with pytest.raises(HallClosed):  # the cut-off still applies
        engine.issue("pension_enrol")


def test_closed_after_day_close(engine: QueueEngine) -> None:
    engine.issue("pension_enrol")
    engine.close_day()
    with pytest.raises(HallClosed):
        engine.issue("pension_enrol")


@pytest.mark.parametrize(
    ("service", "priority", "error"),
    [("no_such_service", None, UnknownService), ("pension_enrol", "vip", UnknownPriority)],
)
def test_unknown_service_or_priority_changes_nothing(
    engine: QueueEngine, db: Database, service: str, priority: str | None, error: type[Exception]
) -> None:
    engine.issue("pension_enrol")
    before = dump(db.path)
    with pytest.raises(error):
        engine.issue(service, priority=priority)
    assert dump(db.path) == before


def test_people_ahead_counts_only_the_same_service(engine: QueueEngine) -> None:
    assert engine.issue("pension_enrol").people_ahead == 0
    assert engine.issue("medical_insurance").people_ahead == 0
    assert engine.issue("pension_enrol").people_ahead == 1
    assert engine.issue("pension_enrol").people_ahead == 2


def test_people_ahead_under_interleave(engine: QueueEngine) -> None:
    regular = [engine.issue("pension_enrol") for _ in range(3)]
    assert [t.people_ahead for t in regular] == [0, 1, 2]
    p1 = engine.issue("pension_enrol", priority="elderly")
    assert p1.people_ahead == 2  # R1, R2, then P1
    r4 = engine.issue("pension_enrol")
    assert r4.people_ahead == 4  # R1 R2 P1 R3, then R4


def test_people_ahead_under_first_mode(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, priority__mode="first")
    engine, _ = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    assert engine.issue("pension_enrol", priority="pregnant").people_ahead == 0
    assert engine.issue("pension_enrol", priority="military").people_ahead == 1
    assert engine.issue("pension_enrol").people_ahead == 4


def test_wait_estimate_range(engine: QueueEngine, clock: ManualClock) -> None:
    # pension_enrol: 8 min by default, served at windows 1 and 2.
    tickets = [engine.issue("pension_enrol") for _ in range(4)]
    # 3 ahead × 8 min ÷ 2 windows = 12 min → 12×0.7 = 8.4 → 5 ; 12×1.3 = 15.6 → 20
    assert (tickets[3].wait_min_minutes, tickets[3].wait_max_minutes) == (5, 20)
    engine.pause(2)
    again = engine.describe_ticket(tickets[3].id)
    # Only window 1 open: 24 min → 16.8 → 15 ; 31.2 → 35
    assert (again.wait_min_minutes, again.wait_max_minutes) == (15, 35)
    overview = engine.queue_overview()["pension_enrol"]
    assert overview["waiting"] == 4


def test_wait_estimate_learns_from_the_day(engine: QueueEngine, clock: ManualClock) -> None:
    for _ in range(3):
        engine.issue("pension_enrol")
        engine.call_next(1)
        clock.advance(120)  # two minutes each
        engine.finish(1)
        clock.advance(1)
    tickets = [engine.issue("pension_enrol") for _ in range(6)]
    # 5 ahead × 2 min ÷ 2 windows = 5 min → 3.5 → 0 ; 6.5 → 10
    assert (tickets[5].wait_min_minutes, tickets[5].wait_max_minutes) == (0, 10)


def test_print_result_is_recorded(engine: QueueEngine, db: Database) -> None:
    t = engine.issue("pension_enrol")
    engine.record_print_result(t.id, "failed", "缺纸")
    engine.record_print_result(t.id, "printed", reprint=True)
    row = engine.ticket(t.id)
    assert row is not None and (row.print_status, row.reprints) == ("printed", 1)
    assert [e["type"] for e in outbox(db)][-2:] == ["ticket.print_result"] * 2
    with pytest.raises(ValueError):
        engine.record_print_result(t.id, "smudged")


def test_issue_from_another_thread_via_submit(engine: QueueEngine) -> None:
    fut = engine.submit("issue", "pension_enrol")
    assert fut.result(timeout=30).number == "A001"


def test_kiosk_clock_fixture_is_a_working_morning(engine: QueueEngine, clock: ManualClock) -> None:
    assert engine.ctx.today().isoformat() == "2026-11-26"
    assert engine.issuing_state().open


def test_a_ticket_no_longer_waiting_has_nobody_ahead(engine: QueueEngine, clock: ManualClock) -> None:
    engine.issue("pension_enrol", priority="elderly")
    engine.issue("pension_enrol")
    r2 = engine.issue("pension_enrol", request_id="tap")
    assert r2.people_ahead == 1  # A002 is called first, then A003 (the priority waits for two regulars)
    engine.call_specific(1, "A003")
    again = engine.issue("pension_enrol", request_id="tap")  # a late second tap reprints the ticket
    assert not again.created and again.people_ahead == 0 and again.wait_max_minutes == 5
