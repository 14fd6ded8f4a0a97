"""The centre's published configuration on the kiosk: stored atomically, holidays applied at start."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kiosk.config.schema import HallConfig
from kiosk.engine.workdays import WorkCalendar
from kiosk.services.centre_config import document_store, with_centre_holidays


def test_documents_are_stored_and_holidays_apply(sample_config: HallConfig, tmp_path: Path) -> None:
    store = document_store(tmp_path)
    store(
        None,
        [
            {
                "kind": "holidays",
                "version": 7,
                "body": {"holidays": ["2027-02-08"], "workdays": ["2027-02-06"]},
            },
            {"kind": "guides", "version": 8, "body": {"pension_enrol": {"fee": "不收费"}}},
            {"kind": "mystery", "version": 9, "body": {}},
        ],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guides.json", "holidays.json"]
    assert json.loads((tmp_path / "guides.json").read_text(encoding="utf-8"))["version"] == 8
    config = with_centre_holidays(sample_config, tmp_path)
    cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
    assert not cal.is_workday(dt.date(2027, 2, 8))  # a Monday the centre declared a holiday
    assert cal.is_workday(dt.date(2027, 2, 6))  # a Saturday make-up day


def test_an_unreadable_calendar_leaves_the_hall_config_as_it_is(
    sample_config: HallConfig, tmp_path: Path
) -> None:
    (tmp_path / "holidays.json").write_text('{"body": {"holidays": ["not a date"]}}', encoding="utf-8")
    assert with_centre_holidays(sample_config, tmp_path) == sample_config
    assert with_centre_holidays(sample_config, tmp_path / "absent") == sample_config
