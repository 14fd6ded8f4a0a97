"""The staff PIN lock-out outlives a restart of the kiosk: the real runtime is stopped and started
again over the same data directory, and the lock and the count of wrong PINs are still there."""

from __future__ import annotations

import json
import time
from pathlib import Path

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import ManualClock
from kiosk.services.pin_guard import FILE_NAME, PinGuard, lockout_seconds
from kiosk.services.runtime import build_runtime

RIGHT, WRONG = "2468", "1357"  # the sample hall's staff PIN, and a wrong one


def test_the_lock_out_and_its_growth_survive_a_restart(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    rt = build_runtime(sample_config, data, clock=clock).start()
    try:
        first = rt.pin_attempt(WRONG)
        assert (first.ok, first.failures, first.lock_left) == (False, 1, 2)
    finally:
        rt.stop()

    rt = build_runtime(sample_config, data, clock=clock).start()
    try:
        state = rt.pin_state()
        assert state.failures == 1 and 0 < state.lock_left <= 2, state
        # Even the right PIN is refused while the lock from before the restart holds.
        assert not rt.pin_attempt(RIGHT).ok
        time.sleep(state.lock_left + 0.05)
        second = rt.pin_attempt(WRONG)
        assert (second.ok, second.failures, second.lock_left) == (False, 2, 4), second  # it grew
    finally:
        rt.stop()

    rt = build_runtime(sample_config, data, clock=clock).start()
    try:
        assert rt.pin_state().failures == 2
        time.sleep(rt.pin_state().lock_left + 0.05)
        ok = rt.pin_attempt(RIGHT)
        assert ok.ok and ok.failures == 0
    finally:
        rt.stop()
    assert json.loads((data / FILE_NAME).read_text(encoding="utf-8"))["failures"] == 0


def test_a_clock_set_back_never_locks_longer_than_the_lock(tmp_path: Path) -> None:
    now = [1_000_000.0]
    guard = PinGuard(tmp_path / FILE_NAME, lambda pin: pin == RIGHT, now=lambda: now[0])
    assert guard.attempt(WRONG).lock_left == lockout_seconds(1)
    now[0] -= 86_400  # the wall clock jumps a day back
    assert guard.state().lock_left == lockout_seconds(1)


def test_a_damaged_lock_file_locks_rather_than_opens(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{not json", encoding="utf-8")
    guard = PinGuard(tmp_path / FILE_NAME, lambda pin: pin == RIGHT)
    state = guard.state()
    assert state.failures == 5 and state.lock_left > 0
    assert not guard.attempt(RIGHT).ok
