"""The business day is local (Asia/Shanghai), numbering restarts per business day without deleting
history, and working days follow the statutory calendar with 调休 and config corrections."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock, business_date
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import HallClosed, QueueEmpty, WindowBusy
from kiosk.engine.workdays import WorkCalendar

from .support import at_local, new_engine, outbox, query, variant

D = dt.date.fromisoformat

# ---- business date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-11-26T16:30:00+00:00", "2026-11-27"),  # 00:30 on the 27th in Shanghai, UTC still the 26th
        ("2026-11-26T15:59:59+00:00", "2026-11-26"),  # 23:59:59 Shanghai
        ("2026-11-26T16:00:00+00:00", "2026-11-27"),  # midnight Shanghai
        ("2026-11-27T00:30:00+08:00", "2026-11-27"),
        ("2026-12-31T16:00:00+00:00", "2027-01-01"),  # new year in Shanghai first
    ],
)
def test_business_date_is_the_shanghai_date(instant: str, expected: str) -> None:
    assert business_date(dt.datetime.fromisoformat(instant), "Asia/Shanghai") == D(expected)


def test_business_date_in_urumqi_config() -> None:
    # Asia/Urumqi is UTC+6: 16:30Z on the 26th is 22:30 there, still the 26th.
    assert business_date(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC), "Asia/Urumqi") == D("2026-11-26")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        business_date(dt.datetime(2026, 11, 26, 16, 30), "Asia/Shanghai")
    with pytest.raises(ValueError):
        ManualClock(dt.datetime(2026, 11, 26, 16, 30))


def test_engine_today_just_after_midnight(engine: QueueEngine, clock: ManualClock) -> None:
    clock.set(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC))
    assert engine.ctx.today() == D("2026-11-27")
    assert engine.ctx.now().date() == D("2026-11-26")  # the UTC date is still the day before


def test_ticket_issued_after_local_midnight_belongs_to_the_new_day(
    sample_config: HallConfig, db: Database
) -> None:
    """A hall open around midnight (a config copy) numbers a ticket at 00:30 local on the local day."""
    cfg = variant(
        sample_config,
        sessions=[{"start": "00:00", "end": "02:00"}, {"start": "14:00", "end": "23:59"}],
    )
    engine, clock = new_engine(cfg, db, dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC))  # 23:00 on the 26th
    evening = engine.issue("pension_enrol")
    clock.set(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC))  # 00:30 on the 27th, UTC date the 26th
    night = engine.issue("pension_enrol")
    assert (evening.number, str(evening.business_date)) == ("A001", "2026-11-26")
    assert (night.number, str(night.business_date)) == ("A001", "2026-11-27")
    events = outbox(db)
    assert [e["payload"]["ticket"]["business_date"] for e in events] == ["2026-11-26", "2026-11-27"]
    assert query(db, "SELECT business_date FROM outbox ORDER BY seq") == [("2026-11-26",), ("2026-11-27",)]


def test_numbering_restarts_next_business_day_and_history_is_kept(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    first = [engine.issue("pension_enrol") for _ in range(3)] + [engine.issue("social_card")]
    assert [t.number for t in first] == ["A001", "A002", "A003", "C001"]
    clock.set(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC))  # 00:30 local on the 27th
    with pytest.raises(HallClosed):  # not open at night
        engine.issue("pension_enrol")
    clock.set(at_local("2026-11-27", "09:05"))
    second = [engine.issue("pension_enrol"), engine.issue("social_card")]
    assert [(t.number, str(t.business_date)) for t in second] == [
        ("A001", "2026-11-27"),
        ("C001", "2026-11-27"),
    ]
    assert second[0].people_ahead == 0  # yesterday's waiting tickets are not ahead of anyone
    rows = query(db, "SELECT business_date, number FROM tickets ORDER BY business_date, number")
    assert rows == [
        ("2026-11-26", "A001"),
        ("2026-11-26", "A002"),
        ("2026-11-26", "A003"),
        ("2026-11-26", "C001"),
        ("2026-11-27", "A001"),
        ("2026-11-27", "C001"),
    ]
    for t in first:  # the previous day's tickets keep their numbers and ids
        row = engine.ticket(t.id)
        assert row is not None and row.number == t.number and str(row.business_date) == "2026-11-26"
    # Only today's tickets are called.
    assert engine.call_next(1).number == "A001"
    assert engine.call_next(2).number == "C001"
    with pytest.raises(QueueEmpty):
        engine.call_next(4)


def test_numbering_after_a_weekend_with_open_on_non_working_days(
    sample_config: HallConfig, db: Database
) -> None:
    cfg = variant(sample_config, open_on_non_working_days=True)
    engine, clock = new_engine(cfg, db, at_local("2026-11-28", "09:05"))  # Saturday
    assert engine.issue("pension_enrol").number == "A001"
    clock.set(at_local("2026-11-29", "09:05"))  # Sunday
    assert engine.issue("pension_enrol").number == "A001"
    clock.set(at_local("2026-11-30", "09:05"))
    assert engine.issue("pension_enrol").number == "A001"
    assert query(db, "SELECT count(*) FROM tickets") == [(3,)]


def test_close_stale_days_after_the_kiosk_was_off(
    engine: QueueEngine, clock: ManualClock, db: Database
) -> None:
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    engine.call_next(1)  # left called overnight
    clock.set(at_local("2026-11-27", "09:05"))
    with pytest.raises(WindowBusy):  # yesterday's resident still blocks the window …
        engine.call_next(1)
    assert engine.close_stale_days() == [D("2026-11-26")]  # … until the stale day is closed
    assert query(db, "SELECT number, status FROM tickets ORDER BY number") == [
        ("A001", "removed"),
        ("A002", "removed"),
    ]
    assert query(db, "SELECT outcome FROM handlings") == [("removed_at_close",)]
    assert query(db, "SELECT business_date, removed FROM day_closes") == [("2026-11-26", 2)]
    assert engine.close_stale_days() == []
    engine.issue("pension_enrol")
    assert engine.call_next(1).number == "A001"


def test_cannot_close_a_future_day(engine: QueueEngine) -> None:
    from kiosk.engine.errors import DomainError

    with pytest.raises(DomainError):
        engine.close_day(D("2026-11-27"))


# ---- WorkCalendar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        ("2025-09-27", False),  # Saturday
        ("2025-09-28", True),  # Sunday, 国庆 make-up workday
        ("2025-09-30", True),
        ("2025-10-01", False),
        ("2025-10-08", False),
        ("2025-10-09", True),
        ("2025-10-11", True),  # Saturday, make-up workday
        ("2026-02-14", True),  # Saturday, 春节 make-up workday
        ("2026-02-15", False),
        ("2026-02-17", False),  # 春节 itself
        ("2026-02-23", False),  # Monday, still off
        ("2026-02-24", True),
        ("2026-02-28", True),  # Saturday, make-up workday
        ("2026-11-26", True),
        ("2026-11-28", False),
    ],
)
def test_statutory_calendar(day: str, workday: bool) -> None:
    assert WorkCalendar().is_workday(D(day)) is workday


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-09-30", 15, "2025-10-28"),
        ("2025-09-26", 1, "2025-09-28"),  # a Sunday make-up workday counts
        ("2025-10-10", 1, "2025-10-11"),  # so does a Saturday one
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-14", 15, "2026-03-13"),
        ("2026-02-27", 1, "2026-02-28"),
        ("2026-11-27", 1, "2026-11-30"),  # Friday → Monday
        ("2026-11-26", 0, "2026-11-26"),  # 0 days: today when a working day …
        ("2026-02-15", 0, "2026-02-24"),  # … else the next working day
        ("2025-10-01", 0, "2025-10-09"),
    ],
)
def test_add_working_days(start: str, days: int, due: str) -> None:
    assert WorkCalendar().add_working_days(D(start), days) == D(due)


def test_add_negative_days_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkCalendar().add_working_days(D("2026-11-26"), -1)


def test_extra_holidays_and_workdays_override_the_library() -> None:
    cal = WorkCalendar(extra_holidays=[D("2026-11-27")], extra_workdays=[D("2026-11-28"), D("2025-10-08")])
    assert not cal.is_workday(D("2026-11-27"))
    assert cal.is_workday(D("2026-11-28"))
    assert cal.is_workday(D("2025-10-08"))  # a statutory holiday made a workday by config
    assert cal.add_working_days(D("2026-11-26"), 1) == D("2026-11-28")
    assert cal.add_working_days(D("2025-09-30"), 1) == D("2025-10-08")
    # A day in both lists is a workday: the make-up list wins.
    both = WorkCalendar(extra_holidays=[D("2026-11-30")], extra_workdays=[D("2026-11-30")])
    assert both.is_workday(D("2026-11-30"))


def first_uncovered_year() -> int:
    """The first year chinese_calendar has no data for (2027 with 1.11; later with newer releases)."""
    cal = WorkCalendar()
    return next(y for y in range(2026, 2200) if not cal.covered(dt.date(y, 6, 1)))


def test_a_year_the_library_does_not_cover() -> None:
    cal = WorkCalendar()
    year = first_uncovered_year()
    assert cal.covered(D("2026-06-01"))
    assert not cal.covered(dt.date(year, 1, 2))
    days = [dt.date(year, 1, d) for d in range(1, 15)]
    friday = next(d for d in days if d.weekday() == 4)
    saturday, monday = friday + dt.timedelta(days=1), friday + dt.timedelta(days=3)
    # Weekends are assumed; nothing else is known (New Year's Day is a workday unless configured).
    assert cal.is_workday(friday) and not cal.is_workday(saturday) and cal.is_workday(monday)
    assert cal.is_workday(dt.date(year, 1, 1)) == (dt.date(year, 1, 1).weekday() < 5)
    assert cal.add_working_days(friday, 1) == monday
    corrected = WorkCalendar(extra_holidays=[friday, monday], extra_workdays=[saturday])
    assert not corrected.is_workday(friday) and corrected.is_workday(saturday)
    assert corrected.add_working_days(friday - dt.timedelta(days=1), 1) == saturday
    assert corrected.add_working_days(saturday, 1) == monday + dt.timedelta(days=1)


def test_config_calendar_corrections_reach_the_engine(sample_config: HallConfig, db: Database) -> None:
    cfg = variant(
        sample_config, calendar={"extra_holidays": ["2026-11-27"], "extra_workdays": ["2026-11-28"]}
    )
    engine, clock = new_engine(cfg, db, at_local("2026-11-27", "10:00"))
    assert engine.issuing_state().reason == "今天不办公"
    with pytest.raises(HallClosed):
        engine.issue("pension_enrol")
    clock.set(at_local("2026-11-28", "10:00"))  # a Saturday made a workday
    engine.issue("social_card")
    engine.call_next(1)
    # 承诺件 deadline counts the corrected calendar: 15 working days after Sat 2026-11-28.
    assert str(engine.finish(1, "promised")["promised_due"]) == "2026-12-18"
