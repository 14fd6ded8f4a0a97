"""Window operations and every illegal transition: each raises its DomainError and changes nothing."""

from __future__ import annotations

import json

import pytest

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.context import Notice
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import (
    DayAlreadyClosed,
    DomainError,
    InvalidOutcome,
    NoOpenRatingSlot,
    QueueEmpty,
    RecallLimitReached,
    TicketNotCallable,
    UnknownService,
    UnknownWindow,
    WindowBusy,
    WindowIdle,
    WindowPaused,
)

from .support import at_local, dump, new_engine, outbox, query, variant


def drain(engine: QueueEngine, clock: ManualClock, window: int) -> list[str]:
    """Call and finish at `window` until its queue is empty; the numbers in call order."""
    order = []
    while True:
        clock.advance(1)
        try:
            order.append(engine.call_next(window).number)
        except QueueEmpty:
            return order
        clock.advance(1)
        engine.finish(window)


# ---- calling order ---------------------------------------------------------------------------


def test_call_next_follows_the_windows_service_order(engine: QueueEngine, clock: ManualClock) -> None:
    engine.issue("social_card")  # C001
    engine.issue("medical_insurance")  # B001
    engine.issue("pension_enrol")  # A001
    engine.issue("medical_insurance")  # B002
    # Window 1 serves pension_enrol, medical_insurance, social_card in that order …
    assert drain(engine, clock, 1) == ["A001", "B001", "B002", "C001"]


def test_window_two_has_its_own_order(engine: QueueEngine, clock: ManualClock) -> None:
    engine.issue("pension_enrol")
    engine.issue("medical_insurance")
    # … window 2 serves medical_insurance first.
    assert drain(engine, clock, 2) == ["B001", "A001"]


def test_window_never_calls_a_service_it_does_not_serve(engine: QueueEngine, db: Database) -> None:
    engine.issue("minimum_living")
    before = dump(db.path)
    with pytest.raises(QueueEmpty):
        engine.call_next(1)
    assert dump(db.path) == before


def test_priority_interleave_one_after_every_two(engine: QueueEngine, clock: ManualClock) -> None:
    for _ in range(4):
        engine.issue("pension_enrol")
    engine.issue("pension_enrol", priority="elderly")  # A005
    engine.issue("pension_enrol", priority="disabled")  # A006
    for _ in range(3):
        engine.issue("pension_enrol")  # A007..A009
    assert drain(engine, clock, 1) == [
        "A001",
        "A002",
        "A005",
        "A003",
        "A004",
        "A006",
        "A007",
        "A008",
        "A009",
    ]


def test_interleave_counts_calls_at_every_window(engine: QueueEngine, clock: ManualClock) -> None:
    for _ in range(3):
        engine.issue("pension_enrol")
    engine.issue("pension_enrol", priority="pregnant")  # A004
    assert engine.call_next(1).number == "A001"
    clock.advance(1)
    assert engine.call_next(2).number == "A002"  # window 2 reaches pension_enrol (no B waiting)
    clock.advance(1)
    engine.finish(1)
    clock.advance(1)
    assert engine.call_next(1).number == "A004"  # two regulars called since the last priority


def test_priority_only_or_regular_only_queues(engine: QueueEngine, clock: ManualClock) -> None:
    engine.issue("pension_enrol", priority="elderly")
    engine.issue("pension_enrol", priority="military")
    assert drain(engine, clock, 1) == ["A001", "A002"]


def test_priority_first_mode(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, priority__mode="first")
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    engine.issue("pension_enrol", priority="elderly")
    engine.issue("pension_enrol")
    engine.issue("pension_enrol", priority="pregnant")
    assert drain(engine, clock, 1) == ["A003", "A005", "A001", "A002", "A004"]


def test_interleave_with_n_equal_one(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, priority__regular_per_priority=1)
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    for p in [None, None, None, "elderly", "elderly", "elderly"]:
        engine.issue("pension_enrol", priority=p)
    assert drain(engine, clock, 1) == ["A001", "A004", "A002", "A005", "A003", "A006"]


@pytest.mark.parametrize("mode", ["interleave", "first"])
@pytest.mark.parametrize(
    "arrivals",
    [
        "RRRPRRPPRRR",
        "PPPRRR",
        "PRPRPRPR",
        "RRRRRRPP",
        "RxRPRRPxRRxPR",  # x: call and finish one ticket before the next arrivals
        "RRxxPPPRxRRxP",
    ],
)
def test_people_ahead_matches_the_real_call_order(
    sample_config: HallConfig, db: Database, mode: str, arrivals: str
) -> None:
    """What the ticket says ('前面还有 N 人') is what then happens at the window."""
    cfg = variant(sample_config, priority__mode=mode)
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    for a in arrivals:
        clock.advance(1)
        if a == "x":
            engine.call_next(1)
            clock.advance(1)
            engine.finish(1)
        else:
            engine.issue("pension_enrol", priority="elderly" if a == "P" else None)
    waiting = [t[0] for t in query(db, "SELECT id FROM tickets WHERE status = 'waiting'")]
    told = {engine.describe_ticket(i).number: engine.describe_ticket(i).people_ahead for i in waiting}
    order = drain(engine, clock, 1)
    assert told == {number: order.index(number) for number in told}


# ---- call a specific ticket, recall, start --------------------------------------------------------


def test_call_specific(engine: QueueEngine, clock: ManualClock) -> None:
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    call = engine.call_specific(1, "A002")
    assert (call.number, call.window, call.recall) == ("A002", 1, False)
    clock.advance(1)
    engine.finish(1)
    assert engine.call_next(1).number == "A001"


@pytest.mark.parametrize(
    ("number", "window", "reason"),
    [
        ("A999", 1, "今天没有"),
        ("D001", 1, "不在 1 号窗口办理"),  # minimum_living is window 3's
    ],
)
def test_call_specific_refusals(
    engine: QueueEngine, db: Database, number: str, window: int, reason: str
) -> None:
    engine.issue("pension_enrol")
    engine.issue("minimum_living")
    before = dump(db.path)
    with pytest.raises(TicketNotCallable) as info:
        engine.call_specific(window, number)
    assert reason in info.value.message
    assert dump(db.path) == before


def test_call_specific_refuses_a_finished_ticket(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.finish(1)
    before = dump(db.path)
    with pytest.raises(TicketNotCallable):
        engine.call_specific(1, "A001")
    assert dump(db.path) == before


def test_recall_at_most_n_times(engine: QueueEngine, db: Database, clock: ManualClock) -> None:
    seen: list[Notice] = []
    engine.subscribe(seen.append)
    engine.issue("pension_enrol")
    engine.call_next(1)
    for _ in range(3):  # recall_limit: 3
        clock.advance(10)
        r = engine.recall(1)
        assert r.recall and r.number == "A001"
    assert query(db, "SELECT recalls FROM handlings") == [(3,)]
    before = dump(db.path)
    with pytest.raises(RecallLimitReached):
        engine.recall(1)
    assert dump(db.path) == before
    assert [n.recall for n in seen if n.kind == "called"] == [False, True, True, True]
    assert [e["type"] for e in outbox(db)].count("handling.recalled") == 3


def test_recall_after_start_is_refused(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.start(1)
    engine.start(1)  # starting twice is harmless: one event
    assert [e["type"] for e in outbox(db)].count("handling.started") == 1
    with pytest.raises(DomainError):
        engine.recall(1)


# ---- no-show -------------------------------------------------------------------------------


def test_no_show_without_requeue(engine: QueueEngine, db: Database, clock: ManualClock) -> None:
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    engine.call_next(1)
    assert engine.no_show(1) is False
    assert engine.ticket(engine.call_next(1).ticket_id) is not None
    assert query(db, "SELECT number, status FROM tickets ORDER BY number") == [
        ("A001", "no_show"),
        ("A002", "called"),
    ]


def test_no_show_requeues_behind_the_next_three_only_once(engine: QueueEngine, clock: ManualClock) -> None:
    for _ in range(6):
        engine.issue("pension_enrol")
    engine.call_next(1)  # A001
    assert engine.no_show(1, requeue=True) is True
    order = []
    for _ in range(3):
        clock.advance(1)
        order.append(engine.call_next(1).number)
        clock.advance(1)
        engine.finish(1)
    clock.advance(1)
    back = engine.call_next(1)
    assert order == ["A002", "A003", "A004"] and back.number == "A001"
    # Missed again: the second chance was used, it ends as a no-show even if requeue is asked.
    assert engine.no_show(1, requeue=True) is False
    ticket = engine.ticket(back.ticket_id)
    assert ticket is not None and ticket.status == "no_show"
    assert drain(engine, clock, 1) == ["A005", "A006"]


def test_no_show_requeue_with_fewer_than_k_waiting_goes_last(engine: QueueEngine, clock: ManualClock) -> None:
    for _ in range(3):
        engine.issue("pension_enrol")
    engine.call_next(1)
    engine.no_show(1, requeue=True)
    assert drain(engine, clock, 1) == ["A002", "A003", "A001"]


def test_no_show_requeue_behind_zero_means_first(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(sample_config, queue__no_show_requeue_behind=0)
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    for _ in range(3):
        engine.issue("pension_enrol")
    engine.call_next(1)
    engine.no_show(1, requeue=True)
    assert drain(engine, clock, 1) == ["A001", "A002", "A003"]


def test_no_show_after_start_is_refused(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.start(1)
    before = dump(db.path)
    with pytest.raises(DomainError):
        engine.no_show(1)
    assert dump(db.path) == before


def test_requeued_ticket_keeps_number_and_new_tickets_still_go_last(
    engine: QueueEngine, clock: ManualClock
) -> None:
    for _ in range(5):
        engine.issue("pension_enrol")
    engine.call_next(1)
    engine.no_show(1, requeue=True)  # A001 between A004 and A005
    engine.issue("pension_enrol")  # A006 after everyone
    assert drain(engine, clock, 1) == ["A002", "A003", "A004", "A001", "A005", "A006"]


# ---- finish ----------------------------------------------------------------------------------


def test_finish_completed_opens_one_rating_slot(
    engine: QueueEngine, db: Database, clock: ManualClock
) -> None:
    seen: list[Notice] = []
    engine.subscribe(seen.append)
    t = engine.issue("pension_enrol")
    engine.call_next(1)
    clock.advance(300)
    result = engine.finish(1)
    assert result["ticket_id"] == t.id and result["promised_due"] is None
    assert query(db, "SELECT status FROM tickets") == [("finished",)]
    assert query(db, "SELECT outcome, missing_materials FROM handlings") == [("completed", "[]")]
    assert query(db, "SELECT id, status FROM ratings") == [(result["rating_id"], "open")]
    assert [n.kind for n in seen] == ["issued", "called", "finished"]
    last = outbox(db)[-1]
    assert last["type"] == "handling.finished"
    assert last["payload"]["rating"]["status"] == "open" and last["payload"]["followups"] == []
    assert engine.window_status(1) == "open"


def test_finish_materials_incomplete_names_missing_materials(engine: QueueEngine, db: Database) -> None:
    engine.issue("social_card")
    engine.call_next(1)
    engine.finish(1, "materials_incomplete", ["近期免冠彩色照片"])
    ((outcome, missing),) = query(db, "SELECT outcome, missing_materials FROM handlings")
    assert (outcome, json.loads(missing)) == ("materials_incomplete", ["近期免冠彩色照片"])
    assert outbox(db)[-1]["payload"]["handling"]["missing_materials"] == ["近期免冠彩色照片"]


@pytest.mark.parametrize(
    ("outcome", "missing"),
    [
        ("materials_incomplete", None),  # must name what is missing
        ("materials_incomplete", ["结婚证"]),  # not in this service's guide
        ("completed", ["居民身份证"]),  # only 材料不全 records missing materials
        ("promised", None),  # pension_enrol is 即办件 (promised_days 0)
        ("done", None),  # no such outcome
        ("no_show", None),  # not a finishing outcome
    ],
)
def test_finish_refusals_change_nothing(
    engine: QueueEngine, db: Database, outcome: str, missing: list[str] | None
) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    before = dump(db.path)
    with pytest.raises(InvalidOutcome):
        engine.finish(1, outcome, missing)
    assert dump(db.path) == before


def test_finish_promised_sets_due_date_and_followup(engine: QueueEngine, db: Database) -> None:
    engine.issue("social_card")  # promised_days 15
    engine.call_next(1)
    result = engine.finish(1, "promised")
    # 15 working days after Thu 2026-11-26: Dec 1-4, 7-11, 14-18 → 2026-12-17
    assert str(result["promised_due"]) == "2026-12-17"
    assert query(db, "SELECT kind, due_date, status, rating_id FROM followups") == [
        ("promised", "2026-12-17", "open", None)
    ]
    payload = outbox(db)[-1]["payload"]
    assert payload["handling"]["promised_due"] == "2026-12-17"
    assert [f["kind"] for f in payload["followups"]] == ["promised"]


def test_finish_referred(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.finish(1, "referred")
    assert query(db, "SELECT outcome FROM handlings") == [("referred",)]
    assert query(db, "SELECT count(*) FROM ratings") == [(1,)]


def test_finish_records_start_as_the_call_when_never_started(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.finish(1)
    ((called, started),) = query(db, "SELECT called_at, started_at FROM handlings")
    assert called == started


# ---- transfer, hold ---------------------------------------------------------------------------


def test_transfer_keeps_number_and_arrival(engine: QueueEngine, db: Database, clock: ManualClock) -> None:
    engine.issue("medical_insurance")  # B001, first to arrive
    engine.issue("pension_enrol")  # A001
    engine.issue("social_card")  # C001
    engine.call_specific(1, "A001")
    engine.transfer(1, "social_card")
    assert query(db, "SELECT number, service_code, status FROM tickets WHERE number = 'A001'") == [
        ("A001", "social_card", "waiting")
    ]
    assert query(db, "SELECT outcome FROM handlings") == [("transferred",)]
    assert outbox(db)[-1]["type"] == "ticket.transferred"
    # In the social_card queue A001 keeps its place: it arrived before C001.
    assert drain(engine, clock, 1) == ["B001", "A001", "C001"]
    # Numbering of both services is unaffected.
    assert engine.issue("pension_enrol").number == "A002"
    assert engine.issue("social_card").number == "C002"


def test_transfer_refusals(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    before = dump(db.path)
    with pytest.raises(WindowIdle):
        engine.transfer(1, "social_card")
    assert dump(db.path) == before
    engine.call_next(1)
    before = dump(db.path)
    with pytest.raises(UnknownService):
        engine.transfer(1, "nothing")
    with pytest.raises(DomainError):
        engine.transfer(1, "pension_enrol")  # already that service
    assert dump(db.path) == before


def test_hold_and_call_held(engine: QueueEngine, db: Database, clock: ManualClock) -> None:
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    engine.call_next(1)  # A001 goes to fetch a copy
    engine.hold(1)
    assert query(db, "SELECT number, status, held_by_window FROM tickets ORDER BY number") == [
        ("A001", "held", 1),
        ("A002", "waiting", None),
    ]
    clock.advance(1)
    assert engine.call_next(1).number == "A002"  # the window serves others meanwhile
    with pytest.raises(WindowBusy):
        engine.call_held(1)
    clock.advance(1)
    engine.finish(1)
    with pytest.raises(QueueEmpty):
        engine.call_held(2)  # held at window 1, not 2
    with pytest.raises(TicketNotCallable):
        engine.call_specific(2, "A001")
    clock.advance(1)
    back = engine.call_held(1)
    assert back.number == "A001"
    clock.advance(1)
    engine.finish(1)
    assert query(db, "SELECT outcome FROM handlings ORDER BY called_at") == [
        ("held",),
        ("completed",),
        ("completed",),
    ]
    with pytest.raises(QueueEmpty):
        engine.call_held(1)


def test_the_desk_view_shows_whom_a_window_serves_waits_for_and_set_aside(
    engine: QueueEngine, clock: ManualClock
) -> None:
    for code in ("pension_enrol", "minimum_living", "pension_enrol", "social_card"):
        engine.issue(code)  # A001 D001 A002 C001
    empty = engine.desk_view(1)
    assert (empty.current_number, empty.waiting, empty.held) == (None, ["A001", "A002", "C001"], [])
    assert engine.desk_view(3).waiting == ["D001"]  # only what the window serves
    engine.call_next(1)
    engine.hold(1)
    clock.advance(1)
    engine.call_specific(1, "C001")  # out of turn
    view = engine.desk_view(1)
    assert (view.current_number, view.current_service) == ("C001", "social_card")
    assert (view.waiting, view.held, view.paused) == (["A002"], ["A001"], False)
    assert engine.desk_view(2).held == []  # set aside at window 1 only
    engine.pause(4)
    assert engine.desk_view(4).paused
    with pytest.raises(UnknownWindow):
        engine.desk_view(9)


# ---- pause and resume ------------------------------------------------------------------------


def test_pause_and_resume(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.pause(1)
    assert engine.window_status(1) == "paused"
    before = dump(db.path)
    with pytest.raises(WindowPaused):
        engine.call_next(1)
    with pytest.raises(WindowPaused):
        engine.call_specific(1, "A001")
    with pytest.raises(WindowPaused):
        engine.pause(1)
    assert dump(db.path) == before
    engine.resume(1)
    assert engine.window_status(1) == "open"
    assert engine.call_next(1).number == "A001"
    types = [e["type"] for e in outbox(db)]
    assert types == ["ticket.issued", "window.paused", "window.resumed", "handling.called"]


def test_resume_an_open_window_is_refused(engine: QueueEngine, db: Database) -> None:
    before = dump(db.path)
    with pytest.raises(DomainError):
        engine.resume(1)
    assert dump(db.path) == before


def test_pause_while_busy_is_refused(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    before = dump(db.path)
    with pytest.raises(WindowBusy):
        engine.pause(1)
    assert dump(db.path) == before


# ---- illegal transitions ----------------------------------------------------------------------


def test_call_while_busy(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    engine.call_next(1)
    before = dump(db.path)
    with pytest.raises(WindowBusy):
        engine.call_next(1)
    with pytest.raises(WindowBusy):
        engine.call_specific(1, "A002")
    assert dump(db.path) == before


@pytest.mark.parametrize("op", ["finish", "recall", "no_show", "hold", "start"])
def test_nothing_called(engine: QueueEngine, db: Database, op: str) -> None:
    engine.issue("pension_enrol")
    engine.call_next(2)  # another window is busy: irrelevant to window 1
    before = dump(db.path)
    with pytest.raises(WindowIdle):
        getattr(engine, op)(1)
    assert dump(db.path) == before


def test_rate_with_no_open_slot_changes_nothing(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    engine.call_next(1)
    before = dump(db.path)
    with pytest.raises(NoOpenRatingSlot) as info:
        engine.rate(1, 1)
    assert info.value.reason == "no_slot"
    assert dump(db.path) == before  # includes the outbox table


@pytest.mark.parametrize(
    "op",
    [
        lambda e: e.call_next(9),
        lambda e: e.call_specific(9, "A001"),
        lambda e: e.recall(0),
        lambda e: e.finish(5),
        lambda e: e.pause(9),
        lambda e: e.resume(9),
        lambda e: e.rate(9, 1),
        lambda e: e.press_rating_key(9, 0),
    ],
)
def test_unknown_window(engine: QueueEngine, db: Database, op: object) -> None:
    engine.issue("pension_enrol")
    before = dump(db.path)
    with pytest.raises(UnknownWindow):
        op(engine)  # type: ignore[operator]
    assert dump(db.path) == before


def test_close_the_same_day_twice(engine: QueueEngine, db: Database) -> None:
    engine.issue("pension_enrol")
    assert engine.close_day() == 1
    before = dump(db.path)
    with pytest.raises(DayAlreadyClosed):
        engine.close_day()
    assert dump(db.path) == before


def test_domain_errors_leave_the_writer_healthy(engine: QueueEngine, db: Database) -> None:
    with pytest.raises(QueueEmpty):
        engine.call_next(1)
    assert db.last_error is None
    engine.issue("pension_enrol")
    assert engine.call_next(1).number == "A001"
