"""Key press → real engine → committed SQLite row, over a real pty pair (no mocks anywhere).

The hall is assets/hall.sample.yaml; the database is a fresh file in tmp_path; rows are checked through
a separate connection to the file, so they are committed, not just pending in the writer's session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import Applied, KeypadDispatcher
from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import CMD_BEEP, CMD_DISPLAY, CMD_RATING_ACK, FF68Protocol
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.keypad.transport import LinkState

from .conftest import wait_until

engine_mod = pytest.importorskip("kiosk.engine.engine")
from kiosk.config.loader import load_config  # noqa: E402
from kiosk.db import models as m  # noqa: E402
from kiosk.db.database import Database  # noqa: E402
from kiosk.engine.clock import ManualClock  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "hall.sample.yaml"
# A Wednesday, 09:30 in the hall's time zone: open for issuing.
OPEN = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def committed_rows(path: Path, model: Any, **where: Any) -> list[Any]:
    """Committed rows, read through a separate connection to the SQLite file."""
    eng = create_engine(f"sqlite:///{path}")
    try:
        with Session(eng) as s:
            return list(s.scalars(select(model).filter_by(**where)))
    finally:
        eng.dispose()


@dataclass
class Hall:
    engine: Any
    db: Database
    sim: SimulatedKeypadBus
    bus: KeypadBus
    dispatcher: KeypadDispatcher
    applied: list[Applied]
    path: Path

    def rows(self, model: Any, **where: Any) -> list[Any]:
        return committed_rows(self.path, model, **where)

    def issue(self, service: str = "pension_enrol", n: int = 1) -> list[str]:
        return [self.engine.issue(service).number for _ in range(n)]


@pytest.fixture
def hall(tmp_path: Path, sim: SimulatedKeypadBus) -> Iterator[Hall]:
    config = load_config(SAMPLE)
    db = Database(tmp_path / "kiosk.db")
    engine = engine_mod.QueueEngine(config, db, ManualClock(OPEN))
    (bus_settings,) = config.keypad_buses()
    bus = KeypadBus(
        bus_settings.model_copy(update={"url": sim.url, "reconnect_initial_s": 0.05, "reconnect_max_s": 0.4})
    )
    applied: list[Applied] = []
    dispatcher = KeypadDispatcher(engine, [bus], on_applied=applied.append)

    engine.subscribe(dispatcher.on_notice)  # the same hook-up the kiosk runtime makes
    dispatcher.start()
    try:
        assert wait_until(lambda: bus.state is LinkState.UP)
        yield Hall(engine, db, sim, bus, dispatcher, applied, tmp_path / "kiosk.db")
    finally:
        dispatcher.stop()
        engine.stop()
        db.close()


def test_call_finish_rate_rows(hall: Hall) -> None:
    sim = hall.sim
    first, _ = hall.issue(n=2)
    sim.press_staff(1, StaffAction.CALL_NEXT)
    assert wait_until(lambda: len(hall.rows(m.Handling, window_number=1)) == 1)
    (h,) = hall.rows(m.Handling, window_number=1)
    (t,) = hall.rows(m.Ticket, id=h.ticket_id)
    assert t.number == first and t.status == "called"
    digits = bytes(int(c) for c in first[-3:])
    assert sim.wait_for(lambda f: f.command == CMD_DISPLAY and f.address == 1 and f.data[3:] == digits)

    sim.press_staff(1, StaffAction.REQUEST_RATING)
    assert wait_until(lambda: hall.rows(m.Rating, window_number=1, status="open"))
    assert hall.rows(m.Handling, id=h.id)[0].outcome == "completed"
    assert sim.wait_for(lambda f: f.address == 1 and f.command == 0x01 and f.data == b"\x0b")

    sim.press_rating(1, 0)
    assert wait_until(lambda: hall.rows(m.Rating, window_number=1, status="rated"))
    (r,) = hall.rows(m.Rating, window_number=1)
    assert (r.level, r.ticket_id, r.source) == (1, t.id, "keypad")  # key 0 → 非常满意 by configuration
    assert sim.wait_for(lambda f: f.address == 1 and f.command == CMD_RATING_ACK and f.data == b"\0")


def test_rating_after_next_call_lands_nowhere_and_is_counted(hall: Hall) -> None:
    hall.bus.settings = hall.bus.settings.model_copy(
        update={"debounce_ms": 0, "retransmit_window_ms": 0, "echo_window_ms": 0}
    )
    hall.issue(n=2)
    sim = hall.sim
    sim.press_staff(1, StaffAction.CALL_NEXT)
    sim.press_staff(1, StaffAction.REQUEST_RATING)
    sim.press_staff(1, StaffAction.CALL_NEXT)  # the next resident is called first ...
    sim.press_rating(1, 4)  # ... then the previous one presses 非常不满意
    assert wait_until(lambda: len(hall.applied) == 4)
    assert hall.rows(m.Rating, status="rated") == []
    assert [r.status for r in hall.rows(m.Rating, window_number=1)] == ["unrated"]
    (ignored,) = hall.rows(m.IgnoredPress, window_number=1)
    assert ignored.reason == "no_slot"
    assert hall.rows(m.FollowUp) == []  # no 差评 callback raised against anyone


def test_retransmitted_and_double_pressed_keys_count_once(hall: Hall) -> None:
    hall.issue(n=3)
    sim = hall.sim
    sim.press_staff(1, StaffAction.CALL_NEXT, lose_ack=True)  # device missed our ACK, resent
    assert wait_until(lambda: len(hall.rows(m.Handling, window_number=1)) == 1)
    sim.press_staff(1, StaffAction.REQUEST_RATING)
    assert wait_until(lambda: hall.rows(m.Rating, window_number=1, status="open"))
    sim.press_rating(1, 1, lose_ack=True)
    sim.press_rating(1, 1)  # and an impatient second press
    sim.press_staff(2, StaffAction.CALL_NEXT)  # marker: applied after everything above
    assert wait_until(lambda: len(hall.rows(m.Handling, window_number=2)) == 1)
    assert wait_until(lambda: len(hall.applied) == 4)
    (r,) = hall.rows(m.Rating, window_number=1)
    assert (r.status, r.level, r.ignored_presses) == ("rated", 2, 0)
    assert hall.rows(m.IgnoredPress) == []
    assert len(hall.rows(m.Handling, window_number=1)) == 1
    c = hall.bus.counters
    assert c.retransmits + c.debounced + c.echoes == 3


def test_refused_call_beeps_and_writes_nothing(hall: Hall) -> None:
    sim = hall.sim
    sim.press_staff(3, StaffAction.CALL_NEXT)  # nobody waiting for window 3's services
    assert sim.wait_for(lambda f: f.address == 3 and f.command == CMD_BEEP)
    assert hall.rows(m.Handling) == []
    # the refusal is the press's answer: kept (so a resend after a restart is answered too) and counted
    (press,) = hall.rows(m.KeypadPress)
    assert (press.address, press.presses) == (3, 1)
    assert hall.dispatcher.counters.domain_errors == 1
    assert hall.db.last_error is None


def test_unplug_replug_then_press_lands(hall: Hall) -> None:
    sim, bus = hall.sim, hall.bus
    number = hall.issue(n=2)[0]
    sim.press_staff(1, StaffAction.CALL_NEXT)
    assert wait_until(lambda: len(hall.rows(m.Handling, window_number=1)) == 1)
    sim.unplug()
    assert wait_until(lambda: bus.state is not LinkState.UP)
    n0 = len(sim.received)  # only frames sent on the new port count below
    sim.replug()
    assert wait_until(lambda: bus.state is LinkState.UP)
    digits = bytes(int(c) for c in number[-3:])
    # the number window 1 is serving is shown again on the new port without anyone pressing a key
    assert sim.wait_for(
        lambda f: f.command == CMD_DISPLAY and f.address == 1 and f.data[3:] == digits, since=n0
    )
    sim.press_staff(1, StaffAction.REQUEST_RATING)
    assert wait_until(lambda: hall.rows(m.Rating, window_number=1, status="open"))


def test_a_resend_after_a_restart_is_acknowledged_not_applied_again(tmp_path: Path) -> None:
    """The power went after a rating was committed and before the keypad heard its ACK: the keypad
    resends the same frame to the restarted kiosk, which answers it and records no second press. The
    frame is kept in the rating's own transaction (keypad_presses), so the restart knows it."""
    config = load_config(SAMPLE)
    (settings,) = config.keypad_buses()
    # A long window: the restart (Alembic's check, threads) must not outlast it on a loaded machine.
    settings = settings.model_copy(update={"retransmit_window_ms": 120_000, "reconnect_initial_s": 0.05})
    path = tmp_path / "kiosk.db"
    p = FF68Protocol()
    rate_1 = p.rating_frame(1, 0)
    (tmp_path / "port").mkdir()
    with SimulatedKeypadBus(tmp_path / "port") as sim:
        for life in range(2):
            db = Database(path)
            engine = engine_mod.QueueEngine(config, db, ManualClock(OPEN))
            bus = KeypadBus(settings.model_copy(update={"url": sim.url}))
            dispatcher = KeypadDispatcher(engine, [bus])
            dispatcher.start()
            try:
                assert wait_until(lambda: bus.state is LinkState.UP)  # noqa: B023
                if life == 0:
                    engine.issue("pension_enrol")
                    for key in (StaffAction.CALL_NEXT, StaffAction.REQUEST_RATING):
                        sim.press_staff(1, key)
                        assert sim.wait_for(lambda f, key=key: f.raw == p.key_frame(1, key))
                n0 = len(sim.received)
                sim.press_rating(1, 0)  # life 0: the press; life 1: the keypad resending it
                assert sim.wait_for(lambda f: f.address == 1 and f.command == CMD_RATING_ACK, since=n0)
                assert wait_until(lambda: bus.pending() == 0)  # noqa: B023
            finally:
                dispatcher.stop()
                engine.stop()
                db.close()
            (rating,) = committed_rows(path, m.Rating)
            assert (rating.status, rating.level, rating.ignored_presses) == ("rated", 1, 0)
            assert committed_rows(path, m.IgnoredPress) == []  # no second press recorded
            (press,) = committed_rows(path, m.KeypadPress)
            assert (press.bus, press.address, bytes.fromhex(press.frame)) == (settings.name, 1, rate_1)
        assert (bus.counters.retransmits, bus.counters.events) == (1, 0)  # the second life's bus
