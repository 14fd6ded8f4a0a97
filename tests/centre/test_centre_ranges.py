"""A street report over any date range equals the same report added up from the day rows alone, when it
reads a mostly covered month as its month row less the left-out days: two halls over October to
December 2026, pushed by the real client, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from kiosk.db.database import Database
from sync import signing
from sync.centre import day_store, models, periods, range_plan, report_export
from sync.centre.periods import Report, Scope, parse_period
from sync.centre.report_pages import render_report
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, fill_outbox

D = dt.date
DAYS = {
    "H1": [D(2026, 10, 2), D(2026, 10, 8), D(2026, 10, 12), D(2026, 10, 19), D(2026, 10, 30),
           D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30),
           D(2026, 12, 1), D(2026, 12, 14), D(2026, 12, 28), D(2026, 12, 31)],
    # 二社区 has one day in the October a range trims (and one left out), so its line keeps that day's P90
    "H2": [D(2026, 10, 2), D(2026, 10, 9), D(2026, 11, 3), D(2026, 11, 27), D(2026, 12, 3), D(2026, 12, 30)],
}  # fmt: skip
AS_OF = D(2027, 1, 15)
RANGES = (
    "2026-10-05..2026-10-31",  # inside October, which it covers but for the 1st to the 4th
    "2026-10-05..2026-11-28",  # starts and ends in mostly covered months
    "2026-10-10..2026-12-04",  # three months: October trimmed, November whole, December's days
    "2026-10-20..2026-12-29",  # October's days, November whole, December less its last two days
    "2026-10-02..2026-11-15",  # six weeks: October less its 1st, then half of November's days
    "2026-11-03..2026-11-29",
    "2026-W46",
)


class Street:
    def __init__(self, centre: RunningCentre, tmp_path: Path) -> None:
        self.centre, self.tmp_path = centre, tmp_path
        self.seq: dict[str, int] = {}
        self.dbs: dict[str, Database] = {}
        self.clients: dict[str, SignedClient] = {}

    def open(self, hall: str, name: str) -> None:
        kiosk = f"K{hall}"
        s = self.centre.enrol(kiosk, hall, str(self.tmp_path), hall_name=name)
        self.clients[hall] = SignedClient(s, signing.KioskKey.load(s.key_file))
        self.dbs[hall] = Database(self.tmp_path / f"{hall}.db")
        self.seq[hall] = 1

    def day(self, hall: str, day: dt.date, seed: int, close: bool = True) -> None:
        events = hall_day(
            hall, f"K{hall}", day, tickets=12, windows=3, seed=seed, start_seq=self.seq[hall],
            close=close, staff=True,
        )  # fmt: skip
        self.seq[hall] += len(events)
        fill_outbox(self.dbs[hall], events)

    def push(self) -> None:
        for hall, db in self.dbs.items():
            Pusher(KioskOutboxSource(db), self.clients[hall], 200).push_all()
        with self.centre.engine.begin() as conn:  # as the server's refresher does within seconds
            day_store.refresh_dirty(conn)

    def close(self) -> None:
        for db in self.dbs.values():
            db.close()


@pytest.fixture
def street(centre: RunningCentre, tmp_path: Path) -> Any:
    s = Street(centre, tmp_path)
    for hall, name in (("H1", "一社区"), ("H2", "二社区")):
        s.open(hall, name)
        for i, day in enumerate(DAYS[hall]):
            s.day(hall, day, seed=i)
    s.push()
    yield s
    s.close()


def _report(s: Street, token: str, use_months: bool = True) -> Report:
    with s.centre.engine.connect() as conn:
        r = periods.street_report(conn, parse_period(token), as_of=AS_OF, use_months=use_months)
    return dataclasses.replace(r, generated_at=dt.datetime(2027, 1, 15, tzinfo=dt.UTC))


def _lines(r: Report) -> dict[Scope, list[tuple[Any, ...]]]:
    return {
        scope: [(ln.rank, ln.hall_id, ln.key, ln.label, ln.figures, ln.followups) for ln in lines]
        for scope, lines in r.lines.items()
    }


def _same_as_day_rows(s: Street, token: str) -> Report:
    ranged, by_days = _report(s, token), _report(s, token, use_months=False)
    assert ranged.figures == by_days.figures, token
    assert ranged.followups == by_days.followups, token
    assert _lines(ranged) == _lines(by_days), token
    assert ranged.trend == by_days.trend, token
    assert render_report(ranged) == render_report(by_days), token  # the page and the export, byte for byte
    assert report_export.to_csv(ranged) == report_export.to_csv(by_days), token
    return ranged


def test_ranges_that_trim_months_equal_the_day_rows(street: Street) -> None:
    plans = {t: range_plan.plan(parse_period(t).start, parse_period(t).end) for t in RANGES}
    assert sum(p.subtracts for p in plans.values()) == 6 and not plans["2026-W46"].subtracts
    before = {}
    for token in RANGES:
        r = before[token] = _same_as_day_rows(street, token)
        assert r.figures.issued > 0 and r.figures.wait_p90_s is not None and r.figures.service_p90_s
        assert all(ln.figures.wait_p90_s is not None for ln in r.lines[Scope.HALL])  # from the histograms
    october = before["2026-10-05..2026-10-31"]
    lone = next(ln for ln in october.lines[Scope.HALL] if ln.hall_id == "H2")
    with street.centre.engine.connect() as conn:  # its one day's own (exact) P90, not the month row's
        exact = conn.execute(
            models.DayFigures.__table__.select().where(
                models.DayFigures.hall_id == "H2", models.DayFigures.business_date == "2026-10-09",
                models.DayFigures.scope == "hall",
            )
        ).one()  # fmt: skip
    assert (lone.figures.wait_p90_s, lone.figures.service_p90_s) == (exact.wait_p90_s, exact.service_p90_s)

    # more residents on a day inside the ranges and on a left-out day, after their month rows were written
    street.day("H1", D(2026, 11, 9), seed=99, close=False)
    street.day("H1", D(2026, 10, 2), seed=98, close=False)
    street.push()
    for token in RANGES:
        after = _same_as_day_rows(street, token)
        covers = parse_period(token).start <= D(2026, 11, 9) <= parse_period(token).end
        assert (after.figures.issued > before[token].figures.issued) == covers, token
    assert _report(street, "2026-10-05..2026-10-31").figures == october.figures  # the left-out day, taken off


def test_a_month_row_unlike_its_days_is_read_and_a_negative_one_falls_back_to_the_days(
    street: Street, caplog: pytest.LogCaptureFixture
) -> None:
    token = "2026-10-05..2026-10-31"
    m = models.MonthFigures
    october = (m.hall_id == "H1", m.month == "2026-10", m.scope == "hall")
    with street.centre.engine.begin() as conn:  # a month row the subtraction really reads
        conn.execute(update(m).where(*october).values(issued=m.issued + 1))
    assert (
        _report(street, token).figures.issued == _report(street, token, use_months=False).figures.issued + 1
    )
    with street.centre.engine.begin() as conn:  # less than its left-out day: that month cannot be trusted
        conn.execute(update(m).where(*october).values(wait_hist={}))
    by_days = _report(street, token, use_months=False)
    fallen_back = _report(street, token)
    assert fallen_back.figures == by_days.figures and _lines(fallen_back) == _lines(by_days)
    assert "do not match their days" in caplog.text


def test_which_rows_a_range_reads() -> None:
    plan = range_plan.plan(D(2026, 10, 10), D(2026, 12, 4))
    assert plan.months == ("2026-11",)
    assert plan.trimmed == (range_plan.TrimmedMonth("2026-10", ((D(2026, 10, 1), D(2026, 10, 9)),)),)
    assert plan.days == ((D(2026, 12, 1), D(2026, 12, 4)),)
    inside = range_plan.plan(D(2026, 11, 2), D(2026, 11, 27))
    assert inside.trimmed == (
        range_plan.TrimmedMonth(
            "2026-11", ((D(2026, 11, 1), D(2026, 11, 1)), (D(2026, 11, 28), D(2026, 11, 30)))
        ),
    )
    # half a month or less: the month row and the left-out days would read more rows than the days do
    assert range_plan.plan(D(2026, 11, 16), D(2026, 11, 30)).days == ((D(2026, 11, 16), D(2026, 11, 30)),)
    assert range_plan.plan(D(2026, 11, 1), D(2026, 12, 31)).months == ("2026-11", "2026-12")
    assert range_plan.plan(D(2026, 10, 5), D(2026, 12, 4), use_months=False).days == (
        (D(2026, 10, 5), D(2026, 12, 4)),
    )
