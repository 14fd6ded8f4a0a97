"""A service listed last at a busy window is not starved: a ticket waiting past
`queue.aging_minutes` is called before the window's preferred services."""

from __future__ import annotations

from pathlib import Path

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine


def _hall(config: HallConfig, aging: int) -> HallConfig:
    return config.model_copy(update={"queue": config.queue.model_copy(update={"aging_minutes": aging})})


def _morning(engine: QueueEngine, clock: ManualClock) -> str:
    # Window 4 prefers 居住证明 (listed first); 生育登记 is listed third.
    late_listed = engine.issue("birth_registration").number
    clock.advance(20 * 60)
    for _ in range(3):
        engine.issue("residence_proof")
    return late_listed


def test_a_ticket_waiting_past_the_limit_is_called_first(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    with Database(tmp_path / "k.db") as db:
        engine = QueueEngine(_hall(sample_config, 30), db, clock)
        late = _morning(engine, clock)
        assert engine.call_next(4).number == "J001", "before the limit the window's order holds"
        engine.finish(4)
        clock.advance(11 * 60)  # the 生育登记 ticket has now waited 31 minutes
        assert engine.call_next(4).number == late


def test_strict_service_order_when_aging_is_off(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    with Database(tmp_path / "k.db") as db:
        engine = QueueEngine(_hall(sample_config, 0), db, clock)
        late = _morning(engine, clock)
        clock.advance(60 * 60)
        called = []
        for _ in range(4):
            called.append(engine.call_next(4).number)
            engine.finish(4)
        assert called == ["J001", "J002", "J003", late]
