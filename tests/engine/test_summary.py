"""The day summary (日结): figures on a hand-built day, and the kiosk↔centre agreement — the summary
from the kiosk database equals the one rebuilt from the outbox snapshots the centre receives."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DomainError
from sync.contract.figures import (
    DayRecords,
    FollowupRec,
    HandlingRec,
    IgnoredRec,
    RatingRec,
    TicketRec,
    compute_summary,
    percentile,
)

from .support import at_local, new_engine, outbox, query, variant

DAY = dt.date(2026, 11, 26)
T0 = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def hand_built_day() -> DayRecords:
    r = DayRecords()

    def ticket(tid: str, number: str, service: str, status: str, print_status: str = "printed") -> None:
        r.tickets.append(TicketRec(tid, number, service, None, at(0), status, print_status))

    def handling(
        hid: str, tid: str, window: int, service: str, wait: int, svc: int | None, outcome: str
    ) -> None:
        called = at(wait)
        r.handlings.append(
            HandlingRec(
                hid, tid, window, service, called, None, None if svc is None else at(wait + svc), outcome
            )
        )

    def rating(
        rid: str, hid: str, tid: str, window: int, service: str, status: str, level: int | None
    ) -> None:
        sat = None if level is None else level <= 3
        r.ratings.append(
            RatingRec(
                rid,
                hid,
                tid,
                window,
                service,
                status,
                level,
                sat,
                None if sat is None else not sat,
                None if level is None else at(5000 + len(r.ratings)),
            )
        )

    ticket("t1", "A001", "pension_enrol", "finished")
    handling("h1", "t1", 1, "pension_enrol", 60, 300, "completed")
    rating("r1", "h1", "t1", 1, "pension_enrol", "rated", 1)
    ticket("t2", "A002", "pension_enrol", "finished")
    handling("h2", "t2", 2, "pension_enrol", 300, 600, "materials_incomplete")
    rating("r2", "h2", "t2", 2, "pension_enrol", "unrated", None)
    ticket("t3", "B001", "medical_insurance", "finished")
    handling("h3", "t3", 1, "medical_insurance", 100, 200, "referred")
    rating("r3", "h3", "t3", 1, "medical_insurance", "rated", 4)
    ticket("t4", "B002", "medical_insurance", "no_show")
    handling("h4", "t4", 2, "medical_insurance", 500, 30, "no_show")
    ticket("t5", "C001", "social_card", "finished")
    handling("h5", "t5", 1, "social_card", 1000, 900, "promised")
    rating("r5", "h5", "t5", 1, "social_card", "rated", 2)
    ticket("t6", "C002", "social_card", "finished")  # missed once, requeued, served at window 2
    handling("h6a", "t6", 1, "social_card", 50, 10, "no_show")
    handling("h6b", "t6", 2, "social_card", 700, 120, "completed")
    rating("r6", "h6b", "t6", 2, "social_card", "rated", 5)
    ticket("t7", "D001", "minimum_living", "removed", print_status="failed")
    ticket("t8", "A004", "pension_enrol", "finished")
    handling("h8", "t8", 1, "pension_enrol", 200, 240, "completed")
    rating("r8", "h8", "t8", 1, "pension_enrol", "open", None)
    r.ignored += [IgnoredRec(1, "expired"), IgnoredRec(2, "no_slot"), IgnoredRec(1, "already_rated")]

    def fu(
        fid: str, kind: str, rid: str | None, tid: str, w: int, svc: str, day: str, due: str, st: str
    ) -> None:
        r.followups.append(
            FollowupRec(
                fid, kind, rid, tid, w, svc, dt.date.fromisoformat(day), dt.date.fromisoformat(due), st
            )
        )

    fu("f1", "callback", "r3", "t3", 1, "medical_insurance", "2026-11-26", "2026-11-27", "open")
    fu("f2", "rectification", "r3", "t3", 1, "medical_insurance", "2026-11-26", "2026-12-17", "open")
    fu("f3", "callback", "r6", "t6", 2, "social_card", "2026-11-26", "2026-11-27", "done")
    fu("f4", "rectification", "r6", "t6", 2, "social_card", "2026-11-26", "2026-12-17", "open")
    fu("f5", "promised", None, "t5", 1, "social_card", "2026-11-26", "2026-12-17", "open")
    fu("f6", "callback", "rx", "tx", 1, "pension_enrol", "2026-11-20", "2026-11-23", "open")  # an old one
    fu("f7", "callback", "ry", "ty", 1, "pension_enrol", "2026-11-27", "2026-11-30", "open")  # tomorrow's
    return r


def test_hall_figures() -> None:
    s = compute_summary(hand_built_day(), "hall", DAY)
    h = s.hall
    assert (h.issued, h.called, h.finished, h.no_show, h.removed) == (8, 7, 6, 1, 1)
    assert (h.rated, h.satisfied, h.dissatisfied, h.unrated) == (4, 2, 2, 1)
    assert h.levels == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert (h.materials_incomplete, h.promised, h.print_failures, h.ignored_presses) == (1, 1, 1, 3)
    # Waits (first call only): 50 60 100 200 300 500 1000 → mean 315.7, P90 = rank ceil(6.3) = 7th.
    assert (h.wait_mean_s, h.wait_p90_s) == (315.7, 1000.0)
    # Service times of finished handlings: 120 200 240 300 600 900 → mean 393.3, P90 = 6th.
    assert (h.service_mean_s, h.service_p90_s) == (393.3, 900.0)
    assert h.evaluation_rate == 0.6667  # 4 rated ÷ 6 finished
    assert h.satisfaction_rate == 0.5  # 2 satisfied ÷ 4 rated


def test_window_figures() -> None:
    s = compute_summary(hand_built_day(), "hall", DAY)
    w1, w2 = s.windows[1], s.windows[2]
    assert (w1.called, w1.finished, w1.no_show, w1.rated, w1.satisfied, w1.dissatisfied) == (5, 4, 1, 3, 2, 1)
    assert (w1.wait_mean_s, w1.wait_p90_s) == (282.0, 1000.0)  # 50 60 100 200 1000
    assert (w1.service_mean_s, w1.service_p90_s) == (410.0, 900.0)  # 200 240 300 900
    assert (w1.evaluation_rate, w1.satisfaction_rate) == (0.75, 0.6667)
    assert w1.ignored_presses == 2
    assert (w2.called, w2.finished, w2.no_show, w2.rated, w2.unrated) == (3, 2, 1, 1, 1)
    assert (w2.wait_mean_s, w2.wait_p90_s) == (400.0, 500.0)  # 300 500 (C002's wait counts at window 1)
    assert (w2.service_mean_s, w2.service_p90_s) == (360.0, 600.0)
    assert (w2.evaluation_rate, w2.satisfaction_rate) == (0.5, 0.0)
    assert sorted(s.windows) == [1, 2]


def test_service_figures() -> None:
    s = compute_summary(hand_built_day(), "hall", DAY)
    pension, medical, social, living = (
        s.services[c] for c in ("pension_enrol", "medical_insurance", "social_card", "minimum_living")
    )
    assert (pension.issued, pension.called, pension.finished, pension.rated) == (3, 3, 3, 1)
    assert (pension.wait_mean_s, pension.wait_p90_s) == (186.7, 300.0)
    assert (pension.evaluation_rate, pension.satisfaction_rate) == (0.3333, 1.0)
    assert (medical.issued, medical.no_show, medical.finished, medical.dissatisfied) == (2, 1, 1, 1)
    assert (medical.evaluation_rate, medical.satisfaction_rate) == (1.0, 0.0)
    assert (social.finished, social.rated, social.satisfaction_rate) == (2, 2, 0.5)
    assert (social.wait_mean_s, social.wait_p90_s, social.service_mean_s) == (525.0, 1000.0, 510.0)
    assert (living.issued, living.removed, living.print_failures, living.called) == (1, 1, 1, 0)
    assert (living.wait_mean_s, living.evaluation_rate, living.satisfaction_rate) == (None, None, None)


def test_dissatisfied_list_and_followups() -> None:
    s = compute_summary(hand_built_day(), "hall", DAY)
    assert [(d["number"], d["window"], d["service_code"], d["level"]) for d in s.dissatisfied] == [
        ("B001", 1, "medical_insurance", 4),
        ("C002", 2, "social_card", 5),
    ]
    assert all(d["rated_at"] for d in s.dissatisfied)
    # Open as of the day: f1 f2 f4 f5 f6 (f3 is done, f7 is from a later day).
    assert (s.followups_open, s.followups_overdue, s.promised_overdue) == (5, 1, 0)
    later = compute_summary(hand_built_day(), "hall", DAY, as_of=dt.date(2026, 12, 18))
    assert (later.followups_open, later.followups_overdue, later.promised_overdue) == (5, 4, 1)


def test_empty_day() -> None:
    s = compute_summary(DayRecords(), "hall", DAY)
    assert s.hall.issued == 0 and s.hall.evaluation_rate is None and s.hall.wait_p90_s is None
    assert s.to_dict()["business_date"] == "2026-11-26"


@pytest.mark.parametrize(
    ("values", "p90"),
    [
        ([], None),
        ([7.0], 7.0),
        ([float(v) for v in range(1, 11)], 9.0),  # rank ceil(9.0) = 9
        ([float(v) for v in range(1, 12)], 10.0),  # rank ceil(9.9) = 10
        ([float(v) for v in range(1, 21)], 18.0),
        ([5.0, 1.0, 4.0, 2.0, 3.0], 5.0),  # rank ceil(4.5) = 5, order does not matter
    ],
)
def test_nearest_rank_p90(values: list[float], p90: float | None) -> None:
    assert percentile(values, 90) == p90


def test_percentile_50_is_nearest_rank_not_interpolated() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0


# ---- the kiosk and the centre agree ----------------------------------------------------------


def records_from_outbox(events: list[dict[str, Any]], day: dt.date) -> DayRecords:
    """What the centre does: keep the latest snapshot per id from the event payloads."""
    latest: dict[str, dict[str, dict[str, Any]]] = {
        k: {} for k in ("ticket", "handling", "rating", "followup")
    }
    ignored = []
    for e in sorted(events, key=lambda e: e["seq"]):
        p = e["payload"]
        for key in ("ticket", "handling", "rating"):
            if key in p:
                latest[key][p[key]["id"]] = p[key]
        for f in p.get("followups", []):
            latest["followup"][f["id"]] = f
        if "ignored_press" in p:
            ignored.append(p["ignored_press"])
    iso = day.isoformat()
    return DayRecords.from_snapshots(
        tickets=[t for t in latest["ticket"].values() if t["business_date"] == iso],
        handlings=[h for h in latest["handling"].values() if h["business_date"] == iso],
        ratings=[r for r in latest["rating"].values() if r["business_date"] == iso],
        followups=[f for f in latest["followup"].values() if f["business_date"] <= iso],
        ignored=[i for i in ignored if i["business_date"] == iso],
    )


def busy_day(engine: QueueEngine, clock: ManualClock, seed: int, steps: int) -> None:
    """A day of random but legal-or-refused operations at every window."""
    rng = random.Random(seed)
    codes = [s.code for s in engine.config.services]
    for _ in range(steps):
        clock.advance(rng.uniform(5, 90))
        if not engine.issuing_state().open:
            nxt = engine.issuing_state().next_opening
            if nxt is None or nxt.date() != engine.ctx.local(engine.ctx.now()).date():
                return
            clock.set(nxt)
        w = rng.randint(1, 4)
        op = rng.random()
        try:
            if op < 0.3:
                t = engine.issue(rng.choice(codes), priority="elderly" if rng.random() < 0.2 else None)
                if rng.random() < 0.3:
                    engine.record_print_result(t.id, rng.choice(["printed", "failed", "on_screen"]))
            elif op < 0.5:
                engine.call_next(w)
            elif op < 0.55:
                engine.recall(w)
            elif op < 0.6:
                engine.no_show(w, requeue=rng.random() < 0.5)
            elif op < 0.62:
                engine.start(w)
            elif op < 0.75:
                outcome = rng.choice(
                    ["completed", "completed", "materials_incomplete", "promised", "referred"]
                )
                svc = engine.config.service(rng.choice(codes))
                missing = [svc.guide.materials[0].name] if outcome == "materials_incomplete" else None
                engine.finish(w, outcome, missing)
            elif op < 0.88:
                engine.press_rating_key(w, rng.randrange(6))
            elif op < 0.9:
                engine.expire_rating_slots()
            elif op < 0.92:
                engine.hold(w)
            elif op < 0.94:
                engine.call_held(w)
            elif op < 0.96:
                engine.transfer(w, rng.choice(codes))
            elif op < 0.98:
                engine.pause(w)
            else:
                engine.resume(w)
        except DomainError:
            pass


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kiosk_and_outbox_summaries_agree(sample_config: HallConfig, db: Database, seed: int) -> None:
    cfg = variant(sample_config, open_on_non_working_days=True)
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "09:00"))
    busy_day(engine, clock, seed, 400)
    # Follow up some 差评, then close the day.
    for (fid,) in query(db, "SELECT id FROM followups WHERE kind = 'callback'")[::2]:
        engine.record_followup(fid, "已回访")
    engine.close_day()
    clock.set(at_local("2026-11-27", "09:00"))
    busy_day(engine, clock, seed + 100, 200)  # a second day, with the first day's follow-ups open
    events = outbox(db)
    for day in (dt.date(2026, 11, 26), dt.date(2026, 11, 27)):
        kiosk = engine.summary(day)
        centre = compute_summary(records_from_outbox(events, day), cfg.hall_id, day, as_of=engine.ctx.today())
        assert kiosk.to_dict() == centre.to_dict()
        assert kiosk.hall.issued > 0 and kiosk.hall.finished > 0
    first = engine.summary(dt.date(2026, 11, 26))
    assert first.hall.issued == first.hall.removed + first.hall.no_show + sum(
        1
        for (st,) in query(db, "SELECT status FROM tickets WHERE business_date = '2026-11-26'")
        if st == "finished"
    )


def test_engine_summary_of_a_simple_day(engine: QueueEngine, clock: ManualClock) -> None:
    engine.issue("pension_enrol")
    clock.advance(120)
    engine.call_next(1)
    clock.advance(300)
    engine.finish(1)
    clock.advance(3)
    engine.press_rating_key(1, 4)  # 非常不满意
    s = engine.summary()
    assert (s.hall.issued, s.hall.finished, s.hall.rated, s.hall.dissatisfied) == (1, 1, 1, 1)
    assert (s.hall.wait_mean_s, s.hall.service_mean_s) == (120.0, 300.0)
    assert (s.hall.evaluation_rate, s.hall.satisfaction_rate) == (1.0, 0.0)
    assert [d["number"] for d in s.dissatisfied] == ["A001"]
    assert s.followups_open == 2 and s.followups_overdue == 0


def test_agreement_when_the_day_is_closed_the_next_morning(sample_config: HallConfig, db: Database) -> None:
    """The kiosk was switched off without 日结: the stale close happens on the next day."""
    cfg = variant(sample_config, open_on_non_working_days=True)
    engine, clock = new_engine(cfg, db, at_local("2026-11-26", "14:00"))
    busy_day(engine, clock, 7, 150)
    clock.set(at_local("2026-11-27", "09:01"))
    assert engine.close_stale_days() == [dt.date(2026, 11, 26)]
    for (fid,) in query(db, "SELECT id FROM followups")[:3]:
        engine.record_followup(fid, "已处理")
    busy_day(engine, clock, 8, 50)
    events = outbox(db)
    for day in (dt.date(2026, 11, 26), dt.date(2026, 11, 27)):
        kiosk = engine.summary(day)
        centre = compute_summary(records_from_outbox(events, day), cfg.hall_id, day, as_of=engine.ctx.today())
        assert kiosk.to_dict() == centre.to_dict()
    assert engine.summary(dt.date(2026, 11, 26)).hall.removed > 0


def test_the_day_close_tells_the_centre_which_figures_version_it_computed(
    engine: QueueEngine, clock: ManualClock
) -> None:
    from sync.contract.figures import FIGURES_VERSION

    engine.issue("pension_enrol")
    clock.advance(60)
    engine.close_day()
    (closed,) = [e for e in outbox(engine.db) if e["type"] == "day.closed"]
    assert closed["payload"]["day_close"]["figures_version"] == FIGURES_VERSION
