"""`QueueEngine`: the hall's one entry point for every operation, whoever calls it.

Each method hands a task to the database's single writer thread and waits for the commit, so it
may be called from any thread except the UI thread (the UI uses `submit`, which returns a Future).
Listeners learn about committed changes (a call to show on a keypad, a call to announce).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.config.schema import HallConfig
from kiosk.db import models as m
from kiosk.db.database import Database
from kiosk.engine import calling, closing, finishing, issuing, keypad_presses, ratings, staffing
from kiosk.engine.availability import Availability, hall_state, service_availability
from kiosk.engine.clock import Clock, SystemClock
from kiosk.engine.context import Context
from kiosk.engine.day_records import load_day_records
from kiosk.engine.errors import DomainError
from kiosk.engine.estimates import wait_range_minutes
from kiosk.engine.notices import Notice
from kiosk.engine.schedule import IssueWindow
from sync.contract.enums import UNPRINTED_STATUSES, Outcome, PrintStatus, TicketStatus, WindowStatus
from sync.contract.figures import DaySummary, compute_summary

log = logging.getLogger(__name__)
Listener = Callable[[Notice], None]


def _task_name(fn: Callable[..., Any]) -> str:
    """``calling.call_next``: the operation as the writer's log names it."""
    return f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"


class QueueEngine:
    def __init__(
        self, config: HallConfig, db: Database, clock: Clock | None = None, kiosk_id: str | None = None
    ):
        self.config = config
        self.db = db
        self.ctx = Context.create(config, clock or SystemClock(), kiosk_id)
        self._listeners: list[Listener] = []
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._press = threading.local()
        db.add_commit_listener(self._dispatch)

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    # ---- plumbing ----------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _dispatch(self, notes: list[Any]) -> None:
        for note in notes:
            for listener in list(self._listeners):
                try:
                    listener(note)
                except Exception:
                    log.exception("engine listener failed on %s", note)

    def _do(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        press: keypad_presses.KeypadFrame | None = getattr(self._press, "frame", None)
        if press is None:
            return self.db.run(lambda s: fn(s, self.ctx, *args, **kwargs), name=_task_name(fn))

        def with_press(s: Session) -> Any:
            result = fn(s, self.ctx, *args, **kwargs)
            keypad_presses.record(s, press)
            return result

        try:
            return self.db.run(with_press, name=_task_name(fn))
        except DomainError:
            # Refused, so rolled back; the refusal is the press's answer all the same.
            self.db.run(lambda s: keypad_presses.record(s, press), name="keypad_presses.record")
            raise

    @contextlib.contextmanager
    def recording_press(self, bus: str, address: int, frame: bytes) -> Iterator[None]:
        """Operations called on this thread inside the block also keep ``frame`` as the keypad's last
        committed frame, in their own transaction; a refused one in a transaction of its own
        (kiosk/engine/keypad_presses.py)."""
        self._press.frame = keypad_presses.KeypadFrame(bus, address, frame)
        try:
            yield
        finally:
            self._press.frame = None

    def committed_keypad_frames(self) -> list[keypad_presses.CommittedFrame]:
        """Each keypad's last committed frame and when (the driver reads them at start)."""
        return self.db.read(keypad_presses.latest)

    def submit(self, name: str, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run operation `name` (e.g. "issue", "call_next") without waiting: for the UI thread."""
        fn = _OPERATIONS[name]
        return self.db.submit(lambda s: fn(s, self.ctx, *args, **kwargs), _task_name(fn))

    # ---- issuing -----------------------------------------------------------------
    def issue(
        self, service_code: str, priority: str | None = None, request_id: str | None = None
    ) -> issuing.IssuedTicket:
        return self._do(issuing.issue, service_code, priority, request_id)

    def record_print_result(
        self, ticket_id: str, status: PrintStatus | str, error: str | None = None, reprint: bool = False
    ) -> None:
        self._do(issuing.record_print_result, ticket_id, status, error, reprint)

    # ---- window operations ------------------------------------------------------------
    def call_next(self, window: int) -> calling.CallResult:
        return self._do(calling.call_next, window)

    def call_specific(self, window: int, number: str) -> calling.CallResult:
        return self._do(calling.call_specific, window, number)

    def call_held(self, window: int) -> calling.CallResult:
        return self._do(calling.call_held, window)

    def recall(self, window: int) -> calling.CallResult:
        return self._do(calling.recall, window)

    def start(self, window: int) -> None:
        self._do(calling.start, window)

    def no_show(self, window: int, requeue: bool = False) -> bool:
        return bool(self._do(calling.no_show, window, requeue))

    def hold(self, window: int) -> None:
        self._do(calling.hold, window)

    def transfer(self, window: int, to_service: str) -> None:
        self._do(calling.transfer, window, to_service)

    def finish(
        self,
        window: int,
        outcome: Outcome | str = Outcome.COMPLETED,
        missing_materials: list[str] | None = None,
    ) -> dict[str, Any]:
        return self._do(finishing.finish, window, outcome, missing_materials)

    def pause(self, window: int) -> None:
        self._do(calling.pause, window)

    def resume(self, window: int) -> None:
        self._do(calling.resume, window)

    # ---- ratings and follow-ups ----------------------------------------------------------
    def rate(self, window: int, level: int, source: str = "touch") -> ratings.RatingOutcome:
        """Strict: raises NoOpenRatingSlot and changes nothing when no slot can take the rating."""
        return self._do(ratings.rate, window, level, source)

    def press_rating_key(self, window: int, key_index: int) -> ratings.RatingOutcome:
        """A keypad press: applied, or counted as ignored (never raises for a late or double press)."""
        return self._do(ratings.press_rating_key, window, key_index)

    def press_rating_level(self, window: int, level: int, source: str = "touch") -> ratings.RatingOutcome:
        return self._do(ratings.press_level, window, level, source)

    def expire_rating_slots(self) -> int:
        return int(self._do(ratings.expire_slots))

    def record_followup(self, followup_id: str, result: str) -> None:
        self._do(closing.record_followup, followup_id, result)

    # ---- staff at the windows (责任到人) ------------------------------------------------
    def sign_in(self, window: int, staff_id: str, pin: str) -> str:
        """Sign a roster member in at ``window``; returns their name (SignInRefused if 工号/PIN wrong)."""
        return str(self._do(lambda s, ctx: staffing.sign_in(s, ctx, window, staff_id, pin).staff_name))

    def sign_out(self, window: int) -> bool:
        return bool(self._do(staffing.sign_out, window))

    def on_duty(self) -> dict[int, tuple[str, str]]:
        """Window → (工号, name) of whoever is signed in there."""

        def q(s: Session) -> dict[int, tuple[str, str]]:
            return {x.window_number: (x.staff_id, x.staff_name) for x in staffing.open_shifts(s)}

        return self.db.read(q)

    # ---- day ------------------------------------------------------------------------
    def close_day(self, day: dt.date | None = None) -> int:
        return int(self._do(closing.close_day, day))

    def close_stale_days(self) -> list[dt.date]:
        """Close days the kiosk was off for at night; run at start."""
        days = self.db.read(lambda s: closing.unclosed_past_days(s, self.ctx))
        for day in days:
            self.close_day(day)
        return list(days)

    def summary(self, day: dt.date | None = None) -> DaySummary:
        day = day or self.ctx.today()
        records = self.db.read(lambda s: load_day_records(s, day))
        return compute_summary(records, self.config.hall_id, day, as_of=max(day, self.ctx.today()))

    # ---- queries (read-only, any thread) -----------------------------------------------
    def issuing_state(self) -> IssueWindow:
        """Hours, cut-off and whether today is already closed (日结)."""
        return self.db.read(lambda s: hall_state(s, self.ctx, self.ctx.now()))

    def availability(self) -> dict[str, Availability]:
        """Per service: can a ticket be issued now, and if not, why (closed day, cut-off, daily cap)."""
        return self.db.read(lambda s: service_availability(s, self.ctx, self.ctx.now()))

    def window_status(self, window: int) -> WindowStatus:
        ws = self.db.read(lambda s: s.get(m.WindowState, window))
        return WindowStatus(ws.status) if ws else WindowStatus.OPEN

    def desk_view(self, window: int) -> calling.DeskView:
        return self.db.read(lambda s: calling.desk_view(s, self.ctx, window))

    def waiting_count(self, window: int) -> int:
        codes = self.config.window(window).services
        return int(self.db.read(lambda s: _count_waiting(s, self.ctx.today(), codes)))

    def queue_overview(self) -> dict[str, dict[str, Any]]:
        """Per service: people waiting, the wait range in minutes and why issuing would refuse it now
        (``refused``, "" when it would not), for the home screen."""

        def q(s: Session) -> dict[str, dict[str, Any]]:
            out: dict[str, dict[str, Any]] = {}
            now = self.ctx.now()
            available = service_availability(s, self.ctx, now)
            for svc in self.config.services:
                n = _count_waiting(s, self.ctx.today(now), [svc.code])
                low, high = wait_range_minutes(s, self.ctx, svc.code, n)
                # "refused": why issuing would refuse this service now ("" when it would not).
                refused = available[svc.code].reason
                out[svc.code] = {"waiting": n, "wait_min": low, "wait_max": high, "refused": refused}
            return out

        return self.db.read(q)

    def ticket(self, ticket_id: str) -> m.Ticket | None:
        return self.db.read(lambda s: s.get(m.Ticket, ticket_id))

    def describe_ticket(self, ticket_id: str) -> issuing.IssuedTicket:
        def q(s: Session) -> issuing.IssuedTicket:
            t = s.get(m.Ticket, ticket_id)
            if t is None:
                raise KeyError(ticket_id)
            return issuing.describe(s, self.ctx, t, created=False)

        return self.db.read(q)

    def recent_calls(self, limit: int = 6) -> list[tuple[str, int, dt.datetime]]:
        def q(s: Session) -> list[tuple[str, int, dt.datetime]]:
            rows = s.execute(
                select(m.Ticket.number, m.Handling.window_number, m.Handling.last_called_at)
                .join(m.Ticket, m.Ticket.id == m.Handling.ticket_id)
                .where(m.Handling.business_date == self.ctx.today())
                .order_by(m.Handling.last_called_at.desc())
                .limit(limit)
            ).all()
            return [(r[0], r[1], r[2]) for r in rows]

        return self.db.read(q)

    def print_failures(self) -> list[tuple[str, str, str | None]]:
        """Today's tickets whose printing failed: (id, number, error), for the staff screen."""
        rows = self.db.read(
            lambda s: s.execute(
                select(m.Ticket.id, m.Ticket.number, m.Ticket.print_error).where(
                    m.Ticket.business_date == self.ctx.today(),
                    m.Ticket.print_status.in_(UNPRINTED_STATUSES),
                )
            ).all()
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def outbox_backlog(self) -> int:
        def q(s: Session) -> int:
            state = s.get(m.SyncState, 1)
            acked = state.acked_seq if state else 0
            return int(s.scalar(select(func.count()).where(m.OutboxEvent.seq > acked)) or 0)

        return self.db.read(q)

    # ---- background ticker ----------------------------------------------------------------
    def start_ticker(self, interval: float = 1.0) -> None:
        """Expire rating slots on time, off every caller's thread."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.expire_rating_slots()
                except Exception:
                    log.exception("rating expiry failed")

        self._ticker = threading.Thread(target=loop, name="engine-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join(timeout=5)


def _count_waiting(s: Session, day: dt.date, codes: list[str]) -> int:
    return int(
        s.scalar(
            select(func.count()).where(
                m.Ticket.business_date == day,
                m.Ticket.service_code.in_(codes),
                m.Ticket.status == TicketStatus.WAITING,
            )
        )
        or 0
    )


_OPERATIONS: dict[str, Callable[..., Any]] = {
    "issue": issuing.issue,
    "record_print_result": issuing.record_print_result,
    "call_next": calling.call_next,
    "call_specific": calling.call_specific,
    "call_held": calling.call_held,
    "recall": calling.recall,
    "start": calling.start,
    "no_show": calling.no_show,
    "hold": calling.hold,
    "transfer": calling.transfer,
    "finish": finishing.finish,
    "pause": calling.pause,
    "resume": calling.resume,
    "rate": ratings.rate,
    "press_rating_key": ratings.press_rating_key,
    "press_rating_level": ratings.press_level,
    "close_day": closing.close_day,
    "record_followup": closing.record_followup,
    "sign_in": staffing.sign_in,
    "sign_out": staffing.sign_out,
}
