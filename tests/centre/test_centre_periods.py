"""Every figure of a period report against a period computed by hand: two halls, three days, driven
through the real queue engine and pushed by the real client — with a transfer, a no-show, a 差评 whose
回访 was late and a 承诺件 finished after its due day."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import requests
from alembic import command
from sqlalchemy import Connection, select

from kiosk.config.schema import HallConfig
from kiosk.db import models as km
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from sync import signing
from sync.centre import day_store, models, periods
from sync.centre.db import alembic_config
from sync.centre.periods import PeriodError, PeriodKind, Scope, parse_period
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient
from tests.sync_support import RunningCentre

D1, D2, D3 = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)  # Monday to Wednesday
PERIOD = "2026-11-23..2026-11-25"
AS_OF = dt.date(2026, 11, 30)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """A Shanghai wall-clock time as UTC."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=dt.UTC) - dt.timedelta(hours=8)


def hall_config(base: HallConfig, hall_id: str, name: str) -> HallConfig:
    """The sample hall, with 承诺件 of 养老保险参保 due the next working day and 整改 due in one."""
    services = [
        s.model_copy(update={"guide": s.guide.model_copy(update={"promised_days": 1})})
        if s.code == "pension_enrol"
        else s
        for s in base.services
    ]
    rating = base.rating.model_copy(update={"rectify_working_days": 1})
    return base.model_copy(update={"hall_id": hall_id, "name": name, "services": services, "rating": rating})


class Hall:
    def __init__(self, config: HallConfig, db: Database, kiosk_id: str) -> None:
        self.clock = ManualClock(at(D1, "08:30"))
        self.engine = QueueEngine(config, db, self.clock, kiosk_id=kiosk_id)
        self.db = db

    def serve(
        self, window: int, called: str, started: str, finished: str, day: dt.date, outcome: str = "completed"
    ) -> None:
        self.clock.set(at(day, called))
        self.engine.call_next(window)
        self.clock.set(at(day, started))
        self.engine.start(window)
        self.clock.set(at(day, finished))
        self.engine.finish(window, outcome)

    def issue(self, service: str, day: dt.date, hhmm: str) -> None:
        self.clock.set(at(day, hhmm))
        self.engine.issue(service)

    def rate(self, window: int, level: int) -> None:
        self.clock.advance(5)
        self.engine.rate(window, level)

    def close(self, day: dt.date) -> None:
        self.clock.set(at(day, "18:00"))
        self.engine.expire_rating_slots()
        self.engine.close_day(day)

    def followup(self, kind: str, service: str) -> str:
        def q(s: object) -> str:
            return str(
                s.scalar(  # type: ignore[attr-defined]
                    select(km.FollowUp.id).where(
                        km.FollowUp.kind == kind, km.FollowUp.service_code == service
                    )
                )
            )

        return self.db.read(q)

    def done(self, followup_id: str, day: dt.date, hhmm: str) -> None:
        self.clock.set(at(day, hhmm))
        self.engine.record_followup(followup_id, "已办结")


def hall_a(config: HallConfig, db: Database) -> None:
    h = Hall(config, db, "KA")
    # D1: three residents; a 承诺件 due D2, and a 差评 (5) whose 回访 and 整改 are due D2
    h.issue("pension_enrol", D1, "09:00")
    h.issue("pension_enrol", D1, "09:05")
    h.issue("minimum_living", D1, "09:06")
    h.serve(1, "09:10", "09:11", "09:21", D1)  # wait 600 s, service 600 s
    h.rate(1, 1)
    h.serve(3, "09:16", "09:16", "09:36", D1)  # wait 600 s, service 1200 s
    h.rate(3, 5)
    h.serve(2, "09:25", "09:25", "09:35", D1, "promised")  # wait 1200 s, service 600 s
    h.rate(2, 2)
    h.close(D1)
    # D2: a no-show, and a resident transferred from window 1 to 民政 at window 3
    h.issue("pension_enrol", D2, "09:00")
    h.issue("pension_enrol", D2, "09:10")
    h.clock.set(at(D2, "09:02"))
    h.engine.call_next(1)  # wait 120 s
    h.clock.set(at(D2, "09:05"))
    h.engine.no_show(1)
    h.clock.set(at(D2, "09:20"))
    h.engine.call_next(1)  # wait 600 s: the wait belongs to window 1, which called first
    h.engine.start(1)
    h.clock.set(at(D2, "09:25"))
    h.engine.transfer(1, "minimum_living")
    h.serve(3, "09:30", "09:30", "09:40", D2)  # service 600 s at window 3, rated there
    h.rate(3, 3)
    h.done(h.followup("rectification", "minimum_living"), D2, "15:00")  # 整改 on its due day
    h.close(D2)
    # D3: the 回访 and the 承诺件 due yesterday are done today (late); a 差评 (4) due after the period
    h.done(h.followup("callback", "minimum_living"), D3, "09:00")
    h.done(h.followup("promised", "pension_enrol"), D3, "09:05")
    h.issue("residence_proof", D3, "10:00")
    h.serve(4, "10:30", "10:30", "10:40", D3)  # wait 1800 s, service 600 s
    h.rate(4, 4)
    h.close(D3)


def hall_b(config: HallConfig, db: Database) -> None:
    h = Hall(config, db, "KB")
    h.issue("pension_enrol", D1, "09:00")
    h.issue("pension_enrol", D1, "09:01")
    h.serve(1, "09:05", "09:05", "09:15", D1)  # wait 300 s, service 600 s
    h.rate(1, 1)
    h.serve(2, "09:11", "09:11", "09:21", D1, "promised")  # wait 600 s, service 600 s
    h.rate(2, 1)
    h.close(D1)
    h.done(h.followup("promised", "pension_enrol"), D2, "10:00")  # on its due day
    h.close(D2)
    h.issue("minimum_living", D3, "09:00")
    h.serve(3, "09:20", "09:20", "09:40", D3)  # wait 1200 s, service 1200 s; never rated
    h.close(D3)


def push(centre: RunningCentre, db: Database, kiosk: str, hall: str, name: str, tmp_path: Path) -> None:
    s = centre.enrol(kiosk, hall, str(tmp_path), hall_name=name)
    Pusher(KioskOutboxSource(db), SignedClient(s, signing.KioskKey.load(s.key_file)), 20).push_all()


@pytest.fixture
def two_halls(centre: RunningCentre, sample_config: HallConfig, tmp_path: Path) -> RunningCentre:
    for hall_id, name, kiosk, script in (
        ("hall-a", "甲社区", "KA", hall_a),
        ("hall-b", "乙社区", "KB", hall_b),
    ):
        db = Database(tmp_path / f"{hall_id}.db")
        script(hall_config(sample_config, hall_id, name), db)
        push(centre, db, kiosk, hall_id, name, tmp_path)
        db.close()
    with centre.engine.begin() as conn:  # as the server's refresher would (follow-ups done on later days)
        day_store.refresh_dirty(conn)
    return centre


def test_every_figure_of_the_period_against_the_hand_computation(two_halls: RunningCentre) -> None:
    p = parse_period(PERIOD)
    with two_halls.engine.connect() as conn:
        street = periods.street_report(conn, p, as_of=AS_OF)
        hall = periods.hall_report(conn, p, "hall-a", as_of=AS_OF)
        w1 = periods.member_report(conn, p, "hall-a", Scope.WINDOW, "1", as_of=AS_OF)
    f = street.figures
    assert (f.issued, f.called, f.finished, f.no_show) == (9, 9, 8, 1)
    # waits 600 1200 600 | 120 600 | 1800 (甲) and 300 600 | 1200 (乙): mean 7020 / 9 s, nearest-rank P90
    assert f.wait_mean_s == 780.0 and f.wait_p90_s == 1800.0
    # services 600 1200 600 | 600 | 600 (甲) and 600 600 | 1200 (乙); the transferred handling is not one
    assert f.service_mean_s == 750.0 and f.service_p90_s == 1200.0
    assert (f.rated, f.satisfied, f.dissatisfied, f.unrated) == (7, 5, 2, 1)
    assert f.evaluation_rate == 0.875 and f.satisfaction_rate == round(5 / 7, 4)
    fu = street.followups
    # 回访: 甲's due D2, done D3 (甲's second 差评 is due D4, after the period) → 0 of 1 on time
    assert (fu.due["callback"], fu.on_time["callback"], fu.callback_rate) == (1, 0, 0.0)
    # 整改: due D2, done D2 → 1 of 1
    assert (fu.due["rectification"], fu.on_time["rectification"], fu.rectification_rate) == (1, 1, 1.0)
    # 承诺件: 甲's due D2 done D3 (late), 乙's due D2 done D2 → 1 of 2
    assert (fu.due["promised"], fu.on_time["promised"], fu.promised_rate) == (2, 1, 0.5)
    # rankings: 乙 (满意率 100%) before 甲 (3 of 5)
    ranking = [(ln.rank, ln.hall_id, ln.figures.satisfaction_rate) for ln in street.lines[Scope.HALL]]
    assert ranking == [(1, "hall-b", 1.0), (2, "hall-a", 0.6)]
    assert [(d, x.issued, x.finished) for d, x in street.trend] == [(D1, 5, 5), (D2, 2, 1), (D3, 2, 2)]

    a = hall.figures
    assert (a.issued, a.finished, a.no_show, a.rated, a.satisfied, a.dissatisfied) == (6, 5, 1, 5, 3, 2)
    assert a.wait_mean_s == round(4920 / 6, 1) and a.wait_p90_s == 1800.0 and a.evaluation_rate == 1.0
    # window 1 called three times (the no-show and the transfer among them), finished once
    wins = {ln.key: ln for ln in hall.lines[Scope.WINDOW]}
    assert (wins["1"].figures.called, wins["1"].figures.finished, wins["1"].figures.no_show) == (3, 1, 1)
    assert wins["1"].figures.wait_mean_s == round((600 + 120 + 600) / 3, 1)
    # the transferred resident's rating belongs to window 3, which served them
    assert (wins["3"].figures.finished, wins["3"].figures.rated, wins["3"].figures.satisfied) == (2, 2, 1)
    assert wins["3"].followups.callback_rate == 0.0 and wins["3"].followups.rectification_rate == 1.0
    assert wins["2"].followups.promised_rate == 0.0 and wins["2"].followups.due["promised"] == 1
    assert w1.figures.called == 3 and [d for d, _ in w1.trend] == [D1, D2]
    services = {ln.key: ln.figures for ln in hall.lines[Scope.SERVICE]}
    assert services["minimum_living"].finished == 2 and services["pension_enrol"].finished == 2


def _month_sums(conn: Connection) -> dict[tuple[str, str], tuple[dict[str, int], dict[str, int]]]:
    """Each hall-month's histograms as the hall-day rows add up (the stored month sums must equal them)."""
    out: dict[tuple[str, str], tuple[Counter[str], Counter[str]]] = {}
    f = models.DayFigures
    for hall, day, w, sv in conn.execute(
        select(f.hall_id, f.business_date, f.wait_hist, f.service_hist).where(f.scope == "hall")
    ):
        wait, service = out.setdefault((hall, day[:7]), (Counter(), Counter()))
        wait.update(w)
        service.update(sv)
    return {k: (dict(w), dict(sv)) for k, (w, sv) in out.items()}


def _stored_months(conn: Connection) -> dict[tuple[str, str], tuple[dict[str, int], dict[str, int]]]:
    m = models.MonthFigures
    rows = conn.execute(select(m.hall_id, m.month, m.wait_hist, m.service_hist).where(m.scope == "hall"))
    return {(h, mo): (w, sv) for h, mo, w, sv in rows}


def _month_rows(conn: Connection) -> list[dict[str, object]]:
    m = models.MonthFigures
    return [dict(r._mapping) for r in conn.execute(select(m).order_by(m.hall_id, m.scope, m.key))]


def test_whole_months_read_the_stored_month_sums(two_halls: RunningCentre) -> None:
    """November, Q4 and 2026 cover the three days in whole months, which the street report reads from
    ``month_figures``: the same figures, rankings and trend as from the day rows; the stored month sums
    equal the hall-days' after a day is recomputed again, and the migration backfills the same rows."""
    engine = two_halls.engine
    with engine.connect() as conn:
        by_days = periods.street_report(conn, parse_period(PERIOD), as_of=AS_OF)
        for token in ("2026-11", "2026-Q4", "2026"):
            whole = periods.street_report(conn, parse_period(token), as_of=AS_OF)
            assert whole.figures == by_days.figures
            for scope in (Scope.HALL, Scope.WINDOW, Scope.STAFF):
                assert [(ln.hall_id, ln.key, ln.figures) for ln in whole.lines[scope]] == [
                    (ln.hall_id, ln.key, ln.figures) for ln in by_days.lines[scope]
                ]
            assert whole.trend == by_days.trend
        stored = _stored_months(conn)
        assert set(stored) == {("hall-a", "2026-11"), ("hall-b", "2026-11")}
        assert stored == _month_sums(conn)
        rows = _month_rows(conn)
    assert {(r["scope"], r["days"]) for r in rows if r["hall_id"] == "hall-a"} >= {("hall", 3), ("window", 2)}
    assert by_days.figures.wait_p90_s == 1800.0 and by_days.figures.service_p90_s == 1200.0
    with engine.begin() as conn:  # a push marks a day again: the month is added up anew, not onto itself
        day_store.mark_dirty(conn, "hall-a", [D2.isoformat()], dt.datetime.now(dt.UTC))
        assert day_store.refresh_dirty(conn) == 1
    with engine.connect() as conn:
        assert _month_rows(conn) == rows
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert _month_rows(conn) == rows


def _followup_months(conn: Connection) -> dict[tuple[str, ...], tuple[int, int]]:
    m = models.FollowupMonth
    rows = conn.execute(select(m.hall_id, m.month, m.window_number, m.staff_id, m.kind, m.due, m.on_time))
    return {(h, mo, w, s, k): (d, ok) for h, mo, w, s, k, d, ok in rows}


def _recount(conn: Connection) -> dict[tuple[str, ...], tuple[int, int]]:
    """The follow-up facts counted by hand per (hall, due month, window, staff member, kind)."""
    out: dict[tuple[str, ...], tuple[int, int]] = {}
    f = models.FollowupFact
    for h, w, s, k, due, done in conn.execute(
        select(f.hall_id, f.window_number, f.staff_id, f.kind, f.due_date, f.done_on)
    ):
        if due:
            key = (h, due[:7], w, s or "", k)
            d, ok = out.get(key, (0, 0))
            out[key] = (d + 1, ok + (1 if done and done <= due else 0))
    return out


def test_over_months_the_street_counts_follow_ups_from_the_stored_month_counts(
    two_halls: RunningCentre,
) -> None:
    """As of 5 December November is over, so the street's November reads its follow-up rates from
    ``followup_months``: the same, hall by hall, window by window and staff member by staff member, as
    each hall's report counts from the facts; the stored counts equal a recount of the facts after they
    are rewritten, and the migration backfills the same rows."""
    later = dt.date(2026, 12, 5)
    p = parse_period("2026-11")
    engine = two_halls.engine
    with engine.connect() as conn:
        stored = _followup_months(conn)
        assert stored and stored == _recount(conn)
        street = periods.street_report(conn, p, as_of=later)
        for hall_id in ("hall-a", "hall-b"):
            hall = periods.hall_report(conn, p, hall_id, as_of=later)
            (line,) = [ln for ln in street.lines[Scope.HALL] if ln.hall_id == hall_id]
            assert line.followups == hall.followups
            for scope in (Scope.WINDOW, Scope.STAFF):
                ours = {ln.key: ln.followups for ln in street.lines[scope] if ln.hall_id == hall_id}
                assert ours == {ln.key: ln.followups for ln in hall.lines[scope]}
    fu = street.followups
    # the three days' (1 回访, 1 整改, 2 承诺件 due) and 甲's second 差评, due 26 November, never done
    assert (fu.due["callback"], fu.on_time["callback"]) == (2, 0)
    assert (fu.due["rectification"], fu.on_time["rectification"]) == (2, 1)
    assert (fu.due["promised"], fu.on_time["promised"]) == (2, 1)
    with engine.begin() as conn:  # every fact of a hall rewritten: its months are counted anew, not onto
        assert day_store.refresh_followups(conn, "hall-a") > 0
    with engine.connect() as conn:
        assert _followup_months(conn) == stored
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert _followup_months(conn) == stored


def test_the_pages_and_exports_of_the_period(two_halls: RunningCentre) -> None:
    url = two_halls.url
    page = requests.get(f"{url}/report/{PERIOD}", timeout=30)
    assert page.status_code == 200
    for text in (
        "甲社区",
        "乙社区",
        "各社区排名",
        "<svg",
        "回访及时率",
        "承诺件按期办结率",
        "87.5%",
        "71.4%",
    ):
        assert text in page.text
    assert "<script" not in page.text
    assert page.text.index("乙社区") < page.text.index("甲社区")  # ranked
    hall = requests.get(f"{url}/report/{PERIOD}/hall/hall-a", timeout=30).text
    assert "1号窗口" in hall and "3号窗口" in hall and "最低生活保障申请" in hall  # services by their names
    rows = list(
        csv.DictReader(
            io.StringIO(requests.get(f"{url}/report/{PERIOD}?format=csv", timeout=30).text.lstrip("\ufeff"))
        )
    )
    street = next(r for r in rows if r["level"] == "street")
    assert (street["issued"], street["finished"], street["no_show"], street["rated"]) == ("9", "8", "1", "7")
    assert street["wait_mean_min"] == "13.0" and street["promised_rate"] == "0.5"
    assert [r["hall_id"] for r in rows if r["level"] == "hall"] == ["hall-b", "hall-a"]
    assert [r["key"] for r in rows if r["level"] == "day"] == [str(D1), str(D2), str(D3)]
    xlsx = requests.get(f"{url}/report/{PERIOD}/hall/hall-a?format=xlsx", timeout=30)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    windows = wb["窗口"]
    head = [c.value for c in windows[1]]
    assert head[:2] == ["层级", "期间"] and "回访及时率" in head
    called = head.index("叫号")
    assert sorted(row[called] for row in windows.iter_rows(min_row=2, values_only=True)) == [1, 1, 2, 3]
    assert requests.get(f"{url}/report/2026-13", timeout=30).status_code == 404
    moved = requests.get(f"{url}/report", params={"period": "2026-W48"}, timeout=30, allow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/report/2026-W48"


def test_periods_are_read_as_written() -> None:
    week = parse_period("2026-W48")
    assert (week.kind, week.start, week.end) == (
        PeriodKind.WEEK,
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 29),
    )
    assert parse_period("2026-02").end == dt.date(2026, 2, 28)
    assert (parse_period("2026-Q4").start, parse_period("2026-Q4").end) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert parse_period("2026").kind == PeriodKind.YEAR and len(parse_period("2026").days()) == 365
    assert parse_period(PERIOD).days() == [D1, D2, D3]
    for bad in ("2026-11-25..2026-11-01", "2026-W60", "2026-13", "last month", "2020-01-01..2026-01-01"):
        with pytest.raises(PeriodError):
            parse_period(bad)
