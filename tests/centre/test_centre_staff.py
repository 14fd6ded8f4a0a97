"""Who served: staff sign in at a window with their 工号 and own PIN; calls, handlings and ratings record
them (a rating after they signed out stays theirs); signing out or the close of day ends the shift; the
centre keeps figures per staff member and learns their names from the sign-ins."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.config.pin import hash_pin
from kiosk.config.schema import HallConfig, RosterEntry
from kiosk.db import models as km
from kiosk.db.database import Database
from kiosk.engine.staffing import SignInRefused
from sync.centre import day_store, models, periods
from sync.centre.periods import Scope, parse_period
from tests.centre.test_centre_periods import D1, Hall, at, push
from tests.conftest import ROOT
from tests.sync_support import RunningCentre

ROSTER = [
    RosterEntry(staff_id="1001", name="王芳", pin_hash=hash_pin("1234", iterations=1000)),
    RosterEntry(staff_id="1002", name="李强", pin_hash=hash_pin("5678", iterations=1000)),
]


def with_roster(config: HallConfig) -> HallConfig:
    return config.model_copy(update={"staff": config.staff.model_copy(update={"roster": ROSTER})})


def test_calls_handlings_and_ratings_belong_to_who_served(
    centre: RunningCentre, sample_config: HallConfig, tmp_path: Path
) -> None:
    db = Database(tmp_path / "k.db")
    h = Hall(with_roster(sample_config), db, "K1")
    e = h.engine
    h.clock.set(at(D1, "08:55"))
    with pytest.raises(SignInRefused):
        e.sign_in(1, "1001", "0000")  # wrong PIN
    with pytest.raises(SignInRefused):
        e.sign_in(1, "9999", "1234")  # not on the roster
    assert e.sign_in(1, "1001", "1234") == "王芳"
    for hhmm in ("09:00", "09:01", "09:02"):
        h.issue("pension_enrol", D1, hhmm)
    h.serve(1, "09:05", "09:05", "09:15", D1)
    e.sign_out(1)  # 王芳 leaves before the resident presses the key
    h.rate(1, 1)
    assert e.sign_in(1, "1002", "5678") == "李强"
    h.serve(1, "09:20", "09:20", "09:30", D1)
    h.rate(1, 5)
    e.sign_out(1)
    h.serve(1, "09:35", "09:35", "09:45", D1)  # nobody signed in
    h.rate(1, 2)
    # signing in at another window moves the staff member; the close of day ends every shift
    e.sign_in(2, "1001", "1234")
    e.sign_in(3, "1001", "1234")
    assert e.on_duty() == {3: ("1001", "王芳")}
    e.sign_in(4, "1002", "5678")
    h.close(D1)
    assert e.on_duty() == {}

    def staff_of(s: object) -> list[tuple[str | None, str | None]]:
        rows = s.execute(  # type: ignore[attr-defined]
            select(km.Handling.staff_id, km.Rating.staff_id)
            .join(km.Rating, km.Rating.handling_id == km.Handling.id)
            .order_by(km.Handling.called_at)
        )
        return [tuple(r) for r in rows]

    assert db.read(staff_of) == [("1001", "1001"), ("1002", "1002"), (None, None)]
    ends = db.read(
        lambda s: [x.end_reason for x in s.scalars(select(km.StaffShift).order_by(km.StaffShift.started_at))]
    )
    assert ends == ["signed_out", "signed_out", "moved", "day_closed", "day_closed"]

    push(centre, db, "K1", sample_config.hall_id, "柏杨社区", tmp_path)
    db.close()
    with centre.engine.begin() as conn:
        day_store.refresh_dirty(conn)
    with centre.engine.connect() as conn:
        names = dict(conn.execute(select(models.StaffMember.staff_id, models.StaffMember.name)).all())
        report = periods.hall_report(
            conn, parse_period("2026-11"), sample_config.hall_id, as_of=dt.date(2026, 12, 1)
        )
        one = periods.member_report(
            conn,
            parse_period("2026-W48"),
            sample_config.hall_id,
            Scope.STAFF,
            "1002",
            as_of=dt.date(2026, 12, 1),
        )
    assert names == {"1001": "王芳", "1002": "李强"}
    staff = {ln.key: ln for ln in report.lines[Scope.STAFF]}
    assert set(staff) == {"1001", "1002"}  # the unstaffed service is in the hall's figures only
    wang, li = staff["1001"].figures, staff["1002"].figures
    assert (wang.called, wang.finished, wang.rated, wang.satisfied) == (1, 1, 1, 1)
    assert (li.called, li.finished, li.rated, li.dissatisfied) == (1, 1, 1, 1)
    assert wang.wait_mean_s == 300.0 and li.service_mean_s == 600.0
    assert [ln.label for ln in report.lines[Scope.STAFF]] == ["王芳", "李强"]  # ranked by 满意率
    assert staff["1002"].followups.due["callback"] == 1  # 李强's 差评: its 回访 is due in the period
    assert report.figures.finished == 3 and one.title.startswith("李强") and one.figures.dissatisfied == 1


def test_the_sample_roster_signs_in_with_the_demo_pins_the_readme_gives(
    sample_config: HallConfig, tmp_path: Path
) -> None:
    """The kiosk demo can show 签到: the sample configuration's roster takes exactly the PINs README
    documents for it, and refuses another."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    demo = re.findall(r"(\d{4}) (\w+) PIN (\d{4})", readme)
    assert [(r.staff_id, r.name) for r in sample_config.staff.roster] == [(s, n) for s, n, _ in demo]
    db = Database(tmp_path / "k.db")
    try:
        e = Hall(sample_config, db, "K1").engine
        for window, (staff_id, name, pin) in enumerate(demo, 1):
            with pytest.raises(SignInRefused):
                e.sign_in(window, staff_id, "0000")
            assert e.sign_in(window, staff_id, pin) == name
        assert sorted(s for s, _ in e.on_duty().values()) == [s for s, _, _ in demo]
    finally:
        db.close()
