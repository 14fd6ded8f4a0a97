"""The simulated day's fault checks accept the one outcome that proves the fault was survived, and
fail on the others (the day itself, tests/sim/test_day.py, only ever shows the good outcome)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.config.loader import load_config
from kiosk.sim.checks import Outcome
from kiosk.sim.clock import SharedClock
from kiosk.sim.faults import FaultRunner, plan_faults
from kiosk.sim.hall import Hall
from kiosk.sim.procs import KioskProcess

ROOT = Path(__file__).resolve().parents[2]
GOOD: dict[str, Any] = {
    "bus_opens_before": 1,
    "bus_opens_after": 2,
    "bus_state_after": ["up"],
    "bus_back_after_s": 20,
    "bus_kiosk_restarted_meanwhile": False,
    "during_outage": {"backlog": 7, "sync_phase": "waiting", "sync_error": "unreachable: cannot reach"},
}


def verdicts(observed: dict[str, Any], tmp_path: Path) -> dict[str, bool]:
    config = load_config(ROOT / "assets" / "hall.sample.yaml")
    day = dt.date(2026, 11, 25)
    clock = SharedClock(dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC), time.time(), 1.0)
    kiosk = KioskProcess([], tmp_path / "kiosk.log")  # never started: only its counts are read
    kiosk.kills, kiosk.starts = 1, 2
    runner = FaultRunner(Hall(config, clock, kiosk, 1.0), plan_faults(config, day, 1.5), None, None)
    runner.observed = observed
    out = Outcome()
    runner.check(out, kiosk)
    return {c.name: c.ok for c in out.checks}


BUS = "keypad bus unplugged and found again by the driver"
CENTRE = "centre unreachable for a while, the kiosk caught up by itself"


def test_the_good_outcome_passes(tmp_path: Path) -> None:
    got = verdicts(GOOD, tmp_path)
    assert got[BUS] and got[CENTRE]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        # a restarted kiosk opening the port afresh proves nothing about the driver's reconnect
        (BUS, {"bus_kiosk_restarted_meanwhile": True, "bus_opens_after": 1}),
        (BUS, {"bus_opens_after": 1}),  # the port was never reopened
        (BUS, {"bus_state_after": ["reconnecting"]}),
        # events piled up but the kiosk never said the centre was unreachable
        (CENTRE, {"during_outage": {"backlog": 7, "sync_phase": "waiting", "sync_error": None}}),
        # it said so, but nothing was waiting: the outage struck no sync at all
        (CENTRE, {"during_outage": {"backlog": 0, "sync_phase": "waiting", "sync_error": "unreachable: x"}}),
        (CENTRE, {"during_outage": {"backlog": 7, "sync_phase": "error", "sync_error": "refused: bad key"}}),
    ],
)
def test_each_wrong_outcome_fails(name: str, change: dict[str, Any], tmp_path: Path) -> None:
    got = verdicts(GOOD | change, tmp_path)
    assert got[name] is False
    assert all(ok for n, ok in got.items() if n in (BUS, CENTRE) and n != name)
