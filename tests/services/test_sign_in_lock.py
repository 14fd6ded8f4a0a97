"""签到 has its own lock-out: a wrong 工号/PIN pair locks the window sign-in for 2, 4, 8 … s, even
the right PIN is refused meanwhile, nothing is recorded, and the lock outlives a restart of the real
runtime (its file is in the data directory, like the staff PIN's)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kiosk.config.pin import hash_pin
from kiosk.config.schema import HallConfig, RosterEntry
from kiosk.engine.clock import ManualClock
from kiosk.engine.staffing import SignInRefused
from kiosk.services.pin_guard import SIGN_IN_FILE_NAME, SignInLocked
from kiosk.services.runtime import build_runtime


def with_roster(config: HallConfig) -> HallConfig:
    roster = [RosterEntry(staff_id="1001", name="王芳", pin_hash=hash_pin("1234", iterations=1000))]
    return config.model_copy(update={"staff": config.staff.model_copy(update={"roster": roster})})


def shifts(data: Path) -> list[tuple[object, ...]]:
    eng = create_engine(f"sqlite:///{data / 'kiosk.db'}")
    try:
        with eng.connect() as c:
            return list(c.execute(text("SELECT window_number, staff_id FROM staff_shifts")))
    finally:
        eng.dispose()


def test_wrong_pins_lock_the_sign_in_and_the_lock_survives_a_restart(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    config, data = with_roster(sample_config), tmp_path / "data"
    rt = build_runtime(config, data, clock=clock).start()
    try:
        with pytest.raises(SignInLocked) as wrong:
            rt.window_op("sign_in", 1, "1001", "9999").result(20)
        assert wrong.value.lock_left == 2 and "工号或密码不对" in wrong.value.message
        assert isinstance(wrong.value, SignInRefused)  # screens that know only the refusal still refuse
        with pytest.raises(SignInLocked) as locked:  # the right PIN, inside the lock
            rt.window_op("sign_in", 1, "1001", "1234").result(20)
        assert "输错次数过多" in locked.value.message
    finally:
        rt.stop()
    assert shifts(data) == []

    rt = build_runtime(config, data, clock=clock).start()
    try:
        state = rt.sign_in_guard.state()
        assert state.failures == 1 and 0 < state.lock_left <= 2, state
        with pytest.raises(SignInLocked):
            rt.window_op("sign_in", 1, "1001", "1234").result(20)
        time.sleep(state.lock_left + 0.05)
        with pytest.raises(SignInLocked) as again:  # an unknown 工号 counts the same as a wrong PIN
            rt.window_op("sign_in", 1, "7777", "1234").result(20)
        assert again.value.lock_left == 4  # it grew
        time.sleep(again.value.lock_left + 0.05)
        assert rt.window_op("sign_in", 1, "1001", "1234").result(20) == "王芳"
    finally:
        rt.stop()
    assert shifts(data) == [(1, "1001")]
    assert json.loads((data / SIGN_IN_FILE_NAME).read_text(encoding="utf-8"))["failures"] == 0


def test_the_staff_pin_and_the_sign_in_lock_apart(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    """Locking the sign-in does not lock the staff screen's PIN, and the other way round."""
    rt = build_runtime(with_roster(sample_config), tmp_path / "data", clock=clock).start()
    try:
        with pytest.raises(SignInLocked):
            rt.window_op("sign_in", 1, "1001", "0000").result(20)
        assert rt.pin_attempt("2468").ok
        assert not rt.pin_attempt("1357").ok
        assert rt.sign_in_guard.state().failures == 1
    finally:
        rt.stop()
