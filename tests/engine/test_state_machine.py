"""Property-based test: random sequences of operations on a real SQLite file keep every invariant,
and every refused operation (DomainError) changes nothing at all."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kiosk.config.loader import load_config
from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DomainError

from .support import dump

ROOT = Path(__file__).resolve().parents[2]
CONFIG: HallConfig = load_config(ROOT / "assets" / "hall.sample.yaml")
SERVICES = [s.code for s in CONFIG.services]
# Most traffic on the services of windows 1 and 2 so queues actually form and get called.
SERVICE = st.sampled_from(["pension_enrol", "medical_insurance", "social_card"]) | st.sampled_from(SERVICES)
WINDOW = st.sampled_from([1, 1, 1, 2, 2, 3, 4, 9])  # 9 does not exist
PRIORITY = st.none() | st.none() | st.sampled_from(["elderly", "disabled", "military", "pregnant", "vip"])
OUTCOME = st.sampled_from(["completed", "completed", "materials_incomplete", "promised", "referred", "bogus"])
FINISHED = {"completed", "materials_incomplete", "promised", "referred"}

# The payload keys each event type carries (snapshots the centre upserts).
EVENT_KEYS = {
    "ticket.issued": {"ticket"},
    "ticket.print_result": {"ticket"},
    "handling.called": {"ticket", "handling"},
    "handling.recalled": {"handling"},
    "handling.started": {"handling"},
    "handling.no_show": {"ticket", "handling"},
    "handling.held": {"ticket", "handling"},
    "ticket.transferred": {"ticket", "handling"},
    "handling.finished": {"ticket", "handling", "rating", "followups"},
    "rating.recorded": {"rating", "followups"},
    "rating.press_ignored": {"ignored_press"},
    "rating.expired": {"rating"},
    "window.paused": {"window"},
    "window.resumed": {"window"},
    "ticket.removed": {"ticket"},
    "day.closed": {"day_close"},
    "followup.updated": {"followups"},
}
OPTIONAL_KEYS = {
    "handling.called": {"rating"},
    "rating.press_ignored": {"rating"},
    "ticket.removed": {"handling"},
}


class HallMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="hall-sm-"))
        self.db = Database(self.dir / "kiosk.db")
        self.clock = ManualClock(dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC))  # 09:30 Shanghai
        self.engine = QueueEngine(CONFIG, self.db, self.clock)
        self.request_ids: dict[str, str] = {}
        self.numbers: list[str] = []
        self.reader: sqlite3.Connection | None = None

    def teardown(self) -> None:
        if self.reader is not None:
            self.reader.close()
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- helpers ------------------------------------------------------------------------
    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.reader is None:  # autocommit: every SELECT sees the latest commit
            self.reader = sqlite3.connect(self.db.path, isolation_level=None)
        return self.reader.execute(query, args).fetchall()

    def attempt(self, op: Callable[[], Any]) -> Any:
        """Run an operation; if it is refused, prove that nothing changed."""
        before = dump(self.db.path)
        try:
            result = op()
        except DomainError as exc:
            event(f"refused: {exc.code}")
            assert dump(self.db.path) == before
            return None
        event(f"done: {type(result).__name__}")
        return result

    def busy_window(self, data: st.DataObject) -> int:
        """Usually a window with a resident at it (so finish/recall/no-show mostly apply)."""
        busy = [
            w for (w,) in self.sql("SELECT number FROM window_states WHERE current_handling_id IS NOT NULL")
        ]
        if busy and data.draw(st.integers(0, 3), label="busy?") > 0:
            return int(data.draw(st.sampled_from(busy), label="window"))
        return int(data.draw(WINDOW, label="window"))

    # ---- rules ------------------------------------------------------------------------------
    @initialize(services=st.lists(SERVICE, max_size=4))
    def morning_queue(self, services: list[str]) -> None:
        for code in services:
            self.numbers.append(self.engine.issue(code).number)

    @rule(service=SERVICE, priority=PRIORITY, tap=st.none() | st.sampled_from(["r1", "r2", "r3"]))
    def issue(self, service: str, priority: str | None, tap: str | None) -> None:
        t = self.attempt(lambda: self.engine.issue(service, priority, tap))
        if t is None:
            return
        if tap is not None and tap in self.request_ids:
            assert t.id == self.request_ids[tap] and not t.created  # two taps, one ticket
        else:
            assert t.created
            self.numbers.append(t.number)
        if tap is not None:
            self.request_ids.setdefault(tap, t.id)

    @rule(window=WINDOW)
    def call_next(self, window: int) -> None:
        self.attempt(lambda: self.engine.call_next(window))

    @rule(window=WINDOW, data=st.data())
    def call_specific(self, window: int, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(self.numbers) if self.numbers else st.just("A999"))
        self.attempt(lambda: self.engine.call_specific(window, number))

    @rule(data=st.data())
    def recall(self, data: st.DataObject) -> None:
        window = self.busy_window(data)
        self.attempt(lambda: self.engine.recall(window))

    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        window = self.busy_window(data)
        self.attempt(lambda: self.engine.start(window))

    @rule(data=st.data(), requeue=st.booleans())
    def no_show(self, data: st.DataObject, requeue: bool) -> None:
        window = self.busy_window(data)
        self.attempt(lambda: self.engine.no_show(window, requeue))

    @rule(data=st.data(), outcome=OUTCOME, name_missing=st.booleans())
    def finish(self, data: st.DataObject, outcome: str, name_missing: bool) -> None:
        window = self.busy_window(data)
        missing = ["居民身份证"] if outcome == "materials_incomplete" and name_missing else None
        self.attempt(lambda: self.engine.finish(window, outcome, missing))

    @rule(data=st.data())
    def serve_and_finish(self, data: st.DataObject) -> None:
        """Call at a window and finish straight away (a quick 即办件), so rating slots open often."""
        window = int(data.draw(st.sampled_from([1, 2]), label="window"))
        if self.attempt(lambda: self.engine.call_next(window)) is not None:
            self.attempt(lambda: self.engine.finish(window))

    @rule(window=WINDOW, key=st.integers(0, 5))
    def press_key(self, window: int, key: int) -> None:
        before = self.sql("SELECT id, status, level FROM ratings WHERE window_number = ?", window)
        out = self.attempt(lambda: self.engine.press_rating_key(window, key))
        if out is None or out.accepted:
            return
        # An ignored press changes no rating's status or level.
        assert self.sql("SELECT id, status, level FROM ratings WHERE window_number = ?", window) == before

    @rule(window=WINDOW, level=st.integers(0, 6))
    def rate(self, window: int, level: int) -> None:
        self.attempt(lambda: self.engine.rate(window, level))

    @rule(window=WINDOW)
    def pause(self, window: int) -> None:
        self.attempt(lambda: self.engine.pause(window))

    @rule(window=WINDOW)
    def resume(self, window: int) -> None:
        self.attempt(lambda: self.engine.resume(window))

    @rule(data=st.data(), service=SERVICE)
    def transfer(self, data: st.DataObject, service: str) -> None:
        window = self.busy_window(data)
        self.attempt(lambda: self.engine.transfer(window, service))

    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        window = self.busy_window(data)
        self.attempt(lambda: self.engine.hold(window))

    @rule(window=WINDOW)
    def call_held(self, window: int) -> None:
        self.attempt(lambda: self.engine.call_held(window))

    @rule(seconds=st.sampled_from([1, 5, 30, 59, 61, 120, 600]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule(now=st.integers(0, 3))
    def close_today(self, now: int) -> None:
        if now:  # rarer than the window work: a closed day refuses most operations
            return
        self.attempt(lambda: self.engine.close_day())
        today = self.engine.ctx.today().isoformat()
        [(closed,)] = self.sql("SELECT count(*) FROM day_closes WHERE business_date = ?", today)
        if closed:  # a closed day has no ticket left open
            open_tickets = "SELECT count(*) FROM tickets WHERE business_date = ? AND status IN ('waiting', 'called', 'held')"
            assert self.sql(open_tickets, today) == [(0,)]

    @rule(close_first=st.booleans(), now=st.integers(0, 2))
    def next_morning(self, close_first: bool, now: int) -> None:
        """The kiosk is switched off at night (maybe without 日结) and on again at 09:05 next working day."""
        if now:
            return
        if close_first:
            self.attempt(lambda: self.engine.close_day())
        day = self.engine.ctx.today()
        self.clock.set(
            self.engine.ctx.at_local(self.engine.ctx.calendar.add_working_days(day, 1), dt.time(9, 5))
        )
        closed = self.engine.close_stale_days()
        assert all(d < self.engine.ctx.today() for d in closed)
        assert self.sql("SELECT count(*) FROM window_states WHERE current_handling_id IS NOT NULL") == [(0,)]
        self.numbers = []

    @rule()
    def expire(self) -> None:
        self.engine.expire_rating_slots()
        now = self.clock.now().strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLite's stored form, UTC
        assert self.sql("SELECT count(*) FROM ratings WHERE status = 'open' AND expires_at <= ?", now) == [
            (0,)
        ]

    # ---- invariants ----------------------------------------------------------------------------
    @invariant()
    def one_open_handling_per_window_and_it_is_current(self) -> None:
        open_ = self.sql("SELECT id, window_number FROM handlings WHERE finished_at IS NULL")
        windows = [w for _, w in open_]
        assert len(windows) == len(set(windows))
        current = dict(self.sql("SELECT number, current_handling_id FROM window_states"))
        for hid, w in open_:
            assert current.get(w) == hid
        for w, hid in current.items():
            if hid is not None:
                assert (hid, w) in open_  # a window's current handling is unfinished and its own

    @invariant()
    def ticket_status_matches_its_handlings(self) -> None:
        rows = self.sql(
            "SELECT t.id, t.status, t.held_by_window, h.outcome, h.finished_at, h.window_number "
            "FROM tickets t LEFT JOIN handlings h ON h.id = ("
            "  SELECT id FROM handlings WHERE ticket_id = t.id ORDER BY called_at DESC, rowid DESC LIMIT 1)"
        )
        for _tid, status, held_by, outcome, finished_at, window in rows:
            if status == "called":
                assert outcome is None and finished_at is None
            elif status == "waiting":
                assert outcome in (None, "no_show", "transferred")
            elif status == "finished":
                assert outcome in FINISHED
            elif status == "held":
                assert outcome == "held" and held_by == window
            elif status == "no_show":
                assert outcome == "no_show"
            elif status == "removed":  # by the day's close
                assert outcome in (None, "removed_at_close", "no_show", "transferred", "held")
            else:
                raise AssertionError(f"unexpected ticket status {status}")
            if status != "held":
                assert held_by is None
        no_show_twice = self.sql(
            "SELECT ticket_id FROM handlings WHERE outcome = 'no_show' GROUP BY ticket_id HAVING count(*) > 2"
        )
        assert no_show_twice == []  # requeued at most once

    @invariant()
    def one_rating_per_finished_service(self) -> None:
        rows = self.sql(
            "SELECT h.id, h.outcome, count(r.id), max(r.status) FROM handlings h "
            "LEFT JOIN ratings r ON r.handling_id = h.id GROUP BY h.id"
        )
        for _hid, outcome, ratings, status in rows:
            if outcome in FINISHED:
                assert ratings == 1
            else:
                assert ratings == 0 and status is None  # no slot, rated or not, on an unfinished service
        assert self.sql(
            "SELECT count(*) FROM ratings WHERE handling_id NOT IN (SELECT id FROM handlings)"
        ) == [(0,)]
        open_per_window = self.sql(
            "SELECT window_number FROM ratings WHERE status = 'open' GROUP BY 1 HAVING count(*) > 1"
        )
        assert open_per_window == []
        for level, satisfied, dissatisfied, followups in self.sql(
            "SELECT level, satisfied, dissatisfied, (SELECT count(*) FROM followups f WHERE f.rating_id = r.id) "
            "FROM ratings r WHERE status = 'rated'"
        ):
            assert level in (1, 2, 3, 4, 5)
            assert bool(satisfied) == (level in (1, 2, 3)) and bool(dissatisfied) == (level in (4, 5))
            assert followups == (2 if level in (4, 5) else 0)
        assert self.sql("SELECT count(*) FROM ratings WHERE status != 'rated' AND level IS NOT NULL") == [
            (0,)
        ]

    @invariant()
    def numbers_unique_per_date(self) -> None:
        assert self.sql("SELECT business_date, number FROM tickets GROUP BY 1, 2 HAVING count(*) > 1") == []
        for day, prefix, seqs in self.sql(
            "SELECT business_date, prefix, group_concat(seq_no) FROM tickets GROUP BY 1, 2"
        ):
            got = sorted(int(x) for x in seqs.split(","))
            assert got == list(range(1, len(got) + 1)), (day, prefix)  # A001, A002 … each day, no holes
        for (day,) in self.sql("SELECT business_date FROM day_closes"):
            open_ = self.sql(
                "SELECT count(*) FROM tickets WHERE business_date = ? AND status IN ('waiting', 'called', 'held')",
                day,
            )
            assert open_ == [(0,)]
            assert self.sql(
                "SELECT count(*) FROM ratings WHERE business_date = ? AND status = 'open'", day
            ) == [(0,)]

    @invariant()
    def outbox_is_gap_free_and_typed(self) -> None:
        rows = self.sql("SELECT seq, type, business_date, payload FROM outbox ORDER BY seq")
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        for _seq, type_, day, payload in rows:
            keys = set(json.loads(payload))
            assert type_ in EVENT_KEYS, type_
            assert EVENT_KEYS[type_] <= keys <= EVENT_KEYS[type_] | OPTIONAL_KEYS.get(type_, set()), (
                type_,
                keys,
            )
            assert "2026-11-26" <= day <= self.engine.ctx.today().isoformat()
        tickets = self.sql("SELECT count(*) FROM tickets")[0][0]
        assert sum(1 for r in rows if r[1] == "ticket.issued") == tickets
        handlings = self.sql("SELECT count(*) FROM handlings")[0][0]
        assert sum(1 for r in rows if r[1] == "handling.called") == handlings


HallMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestHallMachine = HallMachine.TestCase
