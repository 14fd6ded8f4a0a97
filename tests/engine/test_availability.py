"""The home screen's availability per service is exactly what issuing would answer: a closed day
(日结), the cut-off, a reached daily cap each refuse, with the same Chinese reason."""

from __future__ import annotations

import pytest

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DailyCapReached, DomainError, HallClosed

from .support import at_local, new_engine, variant


def refusal_of(engine: QueueEngine, code: str) -> str:
    try:
        engine.issue(code)
    except DomainError as exc:
        return exc.message
    return ""


def test_a_closed_day_offers_no_service_and_says_why(engine: QueueEngine) -> None:
    assert engine.queue_overview()["pension_enrol"]["refused"] == ""
    engine.close_day()  # 日结 during opening hours (staff pressed it, or an automatic close)
    state = engine.issuing_state()
    assert (state.open, state.reason) == (False, "今日已日结，请明天再来")
    assert state.next_opening == at_local("2026-11-27", "09:00")
    overview = engine.queue_overview()
    assert {row["refused"] for row in overview.values()} == {"今日已日结，请明天再来"}
    assert refusal_of(engine, "pension_enrol") == "今日已日结，请明天再来"


def test_a_reached_cap_is_refused_on_the_screen_before_the_touch(
    sample_config: HallConfig, db: Database
) -> None:
    cfg = variant(sample_config, services__0__daily_cap=2)
    engine, _ = new_engine(cfg, db, at_local("2026-11-26", "09:30"))
    engine.issue("pension_enrol")
    assert engine.availability()["pension_enrol"].open
    engine.issue("pension_enrol")
    a = engine.availability()["pension_enrol"]
    assert (a.open, a.refusal) == (False, DailyCapReached)
    assert (
        engine.queue_overview()["pension_enrol"]["refused"] == a.reason == refusal_of(engine, "pension_enrol")
    )
    assert "号源已取完" in a.reason
    assert engine.availability()["medical_insurance"].open  # other services are unaffected


@pytest.mark.parametrize(
    ("hhmm", "reason"),
    [("09:30", ""), ("11:50", "本时段取号已截止"), ("12:30", "现在不是办公时间")],
)
def test_cutoff_and_hours_agree_with_issuing(
    engine: QueueEngine, clock: ManualClock, hhmm: str, reason: str
) -> None:
    clock.set(at_local("2026-11-26", hhmm))
    a = engine.availability()["pension_enrol"]
    assert (a.open, a.reason) == (not reason, reason)
    assert refusal_of(engine, "pension_enrol") == reason
    if reason:
        assert a.refusal is HallClosed
