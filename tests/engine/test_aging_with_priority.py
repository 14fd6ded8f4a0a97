"""Aging and the priority policy together: aging picks which service is served (the one whose head has
waited past `queue.aging_minutes`), then the priority policy picks within that service — so a fresh
绿色通道 ticket of the window's first service does not push an overdue ticket back, and an overdue
service still honours its own priority interleave."""

from __future__ import annotations

from pathlib import Path

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine


def _hall(config: HallConfig) -> HallConfig:
    assert config.priority.mode == "interleave" and config.priority.regular_per_priority == 2
    return config.model_copy(update={"queue": config.queue.model_copy(update={"aging_minutes": 30})})


def test_an_overdue_ticket_goes_before_a_fresh_priority_ticket_of_the_first_service(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    with Database(tmp_path / "k.db") as db:
        engine = QueueEngine(_hall(sample_config), db, clock)
        # Window 4 lists 居住证明 (J) first and 生育登记 (G) third.
        overdue = engine.issue("birth_registration").number
        clock.advance(31 * 60)
        fresh_priority = engine.issue("residence_proof", priority="elderly").number
        regular = engine.issue("residence_proof").number
        assert engine.call_next(4).number == overdue
        engine.finish(4)
        # Then the window's first service under its own policy (interleave: regular calls first, the
        # overdue G call is not counted against J's priority turn).
        assert [engine.call_next(4).number, engine.finish(4)][0] == regular
        assert engine.call_next(4).number == fresh_priority


def test_the_priority_interleave_holds_inside_an_overdue_service(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    with Database(tmp_path / "k.db") as db:
        engine = QueueEngine(_hall(sample_config), db, clock)
        regular = [engine.issue("birth_registration").number for _ in range(3)]
        clock.advance(31 * 60)
        prio = engine.issue("birth_registration", priority="elderly").number
        engine.issue("residence_proof")  # the window's first service, not overdue
        called = []
        for _ in range(4):
            called.append(engine.call_next(4).number)
            engine.finish(4)
        # G is overdue, so G is served; inside G two regular calls, then the priority ticket (interleave
        # 2:1), then the last regular G, whose head is overdue still, before the fresh J001.
        assert called == [regular[0], regular[1], prio, regular[2]], called
        assert engine.call_next(4).number == "J001"
