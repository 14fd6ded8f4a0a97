"""`KioskRuntime`: the engine wired to the printer, the keypad buses and sync.

The touch UI talks only to this object. Every method that touches a device, the database or the
network returns a Future (it runs on a worker thread), so the UI thread never blocks; `health()` is
a cached snapshot refreshed by a background thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import KeypadDispatcher
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.printer.driver import PrinterDriver, PrintResult
from drivers.printer.simulator import SimulatedPrinter
from kiosk.board.server import BoardServer
from kiosk.config.pin import verify_pin
from kiosk.config.schema import BoardSettings, HallConfig
from kiosk.db.database import Database
from kiosk.db.models import DayClose
from kiosk.engine.clock import Clock
from kiosk.engine.context import Notice
from kiosk.engine.engine import QueueEngine
from kiosk.engine.nightly import nightly_close_due
from kiosk.engine.schedule import IssueWindow
from kiosk.engine.summary import DaySummary
from kiosk.services.centre_config import with_centre_holidays
from kiosk.services.demo import DemoResidents, demo_clock
from kiosk.services.documents import day_slip_doc, guide_doc
from kiosk.services.health import (
    BoardClientView,
    BoardHealthView,
    BusHealthView,
    Health,
    KeypadHealthView,
    SyncHealthView,
)
from kiosk.services.sync_link import SyncLink
from kiosk.services.ticketing import TicketDesk, TicketOutcome, printer_state

log = logging.getLogger(__name__)

WINDOW_OPS = (
    "call_next",
    "recall",
    "no_show",
    "finish",
    "pause",
    "resume",
    "call_held",
    "call_specific",
    "hold",
    "start",
    "transfer",
)


class KioskRuntime:
    def __init__(self, config: HallConfig, data_dir: Path, *, clock: Clock | None = None, demo: bool = False):
        self.data_dir = Path(data_dir)
        self.config = config = with_centre_holidays(config, self.data_dir / "centre-config")
        self.demo = demo
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.data_dir / "kiosk.db")
        self.engine = QueueEngine(config, self.db, clock or (demo_clock(config) if demo else None))
        self.printer: PrinterDriver | None = PrinterDriver(config.devices.printer)
        self.keypad_sim: SimulatedKeypadBus | None = None
        self.dispatcher: KeypadDispatcher | None = None
        self.desk = TicketDesk(self.engine, self.printer)
        self.sync = SyncLink(config, self.db, self.engine, self.data_dir)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-worker")
        # One thread for ticket issuing keeps taps in order and makes double taps meet each other.
        self._desk_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-desk")
        self._health: Health | None = None
        self._health_stop = threading.Event()
        self._health_thread: threading.Thread | None = None
        self._residents: DemoResidents | None = None
        self.engine.subscribe(self._on_notice)
        self.board = board_for(config, self.engine, demo)
        if self.board is not None:
            self.engine.subscribe(self.board.on_notice)  # one more listener of the same notices

    # ---- life cycle ------------------------------------------------------------------------
    def start(self) -> KioskRuntime:
        closed = self.engine.close_stale_days()
        if closed:
            log.info("closed days the kiosk was off for: %s", closed)
        if self.printer is not None:
            self.printer.start()
            self.printer.check_status()
        self._start_keypads()
        self.engine.start_ticker()
        if self.board is not None:
            self.board.start()
        self.sync.start()
        self._refresh_health()
        self._health_thread = threading.Thread(target=self._health_loop, name="kiosk-health", daemon=True)
        self._health_thread.start()
        if self.demo:
            self._residents = DemoResidents(self)
            self._residents.start()
            if self.keypad_sim is not None:
                addresses = [w.keypad.address for w in self.config.windows if w.keypad]
                self.keypad_sim.start_random(addresses, seed=7, speed=1.5)
        return self

    def _start_keypads(self) -> None:
        buses = []
        for settings in self.config.keypad_buses():
            if settings.url == "simulated":
                if self.keypad_sim is None:
                    self.keypad_sim = SimulatedKeypadBus(self.data_dir / "keypad-sim")
                    (self.data_dir / "keypad-sim").mkdir(exist_ok=True)
                    self.keypad_sim.replug()
                settings = settings.model_copy(update={"url": self.keypad_sim.url})
            buses.append(KeypadBus(settings))
        if not buses:
            return
        self.dispatcher = KeypadDispatcher(self.engine, buses)
        self.dispatcher.start()

    def stop(self) -> None:
        self._health_stop.set()
        if self._residents:
            self._residents.stop()
        if self.keypad_sim:
            self.keypad_sim.stop_random()
        self.sync.stop()
        if self.board is not None:
            self.board.stop()
        if self.dispatcher:
            self.dispatcher.stop()
        if self.keypad_sim:
            self.keypad_sim.close()
        self._desk_pool.shutdown(wait=True)
        self._pool.shutdown(wait=True)
        self.engine.stop()
        if self.printer:
            self.printer.close()
        self.db.close()

    # ---- notices ---------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Notice], None]) -> None:
        self.engine.subscribe(callback)

    def _on_notice(self, n: Notice) -> None:
        d = self.dispatcher
        if d is None:
            return
        d.on_notice(n)
        if n.kind in ("issued", "called", "no_show", "held", "transferred", "closed"):
            # Waiting counts are read on a worker so the writer thread is never held up.
            self._pool.submit(self._push_waiting_counts)

    def _push_waiting_counts(self) -> None:
        if self.dispatcher is None:
            return
        for w in self.config.windows:
            if w.keypad is not None:
                self.dispatcher.on_waiting_changed(w.number, self.engine.waiting_count(w.number))

    # ---- residents ---------------------------------------------------------------------------
    def issue_ticket(
        self, service_code: str, priority: str | None = None, request_id: str | None = None
    ) -> Future[TicketOutcome]:
        rid = request_id or str(uuid.uuid4())
        return self._desk_pool.submit(self.desk.issue, service_code, priority, rid)

    def print_guide(
        self, service_code: str, missing: list[str] | None = None, window: int | None = None
    ) -> Future[PrintResult]:
        if self.printer is None:
            raise RuntimeError("no printer")
        doc = guide_doc(self.config, service_code, self.engine.clock.now(), missing, window)
        return self.printer.print_doc(doc)

    def rate(self, window: int, level: int) -> Future[Any]:
        return self._pool.submit(self.engine.press_rating_level, window, level, "touch")

    # ---- staff ---------------------------------------------------------------------------------
    def window_op(self, name: str, window: int, *args: Any) -> Future[Any]:
        if name not in WINDOW_OPS:
            raise ValueError(f"unknown window operation {name!r}")
        return self._pool.submit(getattr(self.engine, name), window, *args)

    def reprint(self, ticket_id: str) -> Future[TicketOutcome]:
        return self._desk_pool.submit(self.desk.reprint, ticket_id)

    def print_day_slip(self, day: dt.date | None = None) -> Future[PrintResult]:
        def job() -> PrintResult:
            summary = self.engine.summary(day)
            assert self.printer is not None
            return self.printer.print_doc(day_slip_doc(self.config, summary, self.engine.clock.now())).result(
                60
            )

        return self._pool.submit(job)

    def close_day(self) -> Future[int]:
        def job() -> int:
            removed = self.engine.close_day()
            self.sync.push_soon(nightly=True)
            return removed

        return self._pool.submit(job)

    def verify_pin(self, pin: str) -> bool:
        return verify_pin(pin, self.config.staff.pin_hash)

    # ---- reads (cheap, but still better off the UI thread) -------------------------------------
    def overview(self) -> dict[str, dict[str, Any]]:
        return self.engine.queue_overview()

    def recent_calls(self, limit: int = 6) -> list[tuple[str, int, dt.datetime]]:
        return self.engine.recent_calls(limit)

    def today_figures(self) -> DaySummary:
        return self.engine.summary()

    def issuing_state(self) -> IssueWindow:
        return self.engine.issuing_state()

    def preview_png(self, job_index: int = -1) -> Path | None:
        sim: SimulatedPrinter | None = self.printer.simulator if self.printer else None
        if sim is None or not sim.jobs:
            return None
        out = self.data_dir / "previews" / f"job-{job_index % len(sim.jobs)}.png"
        out.parent.mkdir(exist_ok=True)
        sim.jobs[job_index].png(out)
        return out

    @property
    def printer_sim(self) -> SimulatedPrinter | None:
        return self.printer.simulator if self.printer else None

    # ---- health ------------------------------------------------------------------------------
    def health(self) -> Health:
        if self._health is None:
            self._refresh_health()
        assert self._health is not None
        return self._health

    def _health_loop(self) -> None:
        while not self._health_stop.wait(2.0):
            try:
                if self.printer is not None:
                    self.printer.check_status()
                self._auto_close()
                self._refresh_health()
            except Exception:
                log.exception("health refresh failed")

    def _auto_close(self) -> None:
        """The nightly 日结 when staff did not press it: 30 minutes after the last session ends."""
        now = self.engine.clock.now()
        day = nightly_close_due(now, [sess.end for sess in self.config.sessions], self.config.timezone)
        if day is None or self.db.read(lambda s: s.get(DayClose, day)) is not None:
            return
        removed = self.engine.close_day(day)
        log.info("automatic close of %s: %d tickets removed", day, removed)
        self.sync.push_soon(nightly=True)

    def _refresh_health(self) -> None:
        status = printer_state(self.printer)
        fault = status.fault
        buses = []
        if self.dispatcher is not None:
            for b in self.dispatcher.health():
                buses.append(
                    BusHealthView(
                        name=b.name,
                        state=str(getattr(b.state, "value", b.state)),
                        last_error=str(b.last_error) if b.last_error else None,
                        keypads=[
                            KeypadHealthView(
                                k.address,
                                k.window,
                                dt.datetime.fromtimestamp(k.last_seen, dt.UTC) if k.last_seen else None,
                                k.status == "silent",
                                k.not_understood,
                            )
                            for k in b.keypads
                        ],
                        frames_ok=b.counters.get("frames", 0),
                        frames_dropped=sum(
                            v for k, v in b.counters.items() if k.startswith("bad") or k == "bytes_dropped"
                        ),
                    )
                )
        try:
            failures = self.engine.print_failures()
            backlog = self.engine.outbox_backlog()
        except Exception as exc:  # the database itself is failing: say so, don't crash the health loop
            failures, backlog = [], -1
            log.error("health read failed: %s", exc)
        reason = None
        if self.db.last_error:
            reason = "数据库写入失败，暂停取号。请联系管理员检查存储。"
        elif self.config.devices.printer_required and status.state.known_bad:
            reason = (fault.reason if fault else "打印机故障") + " 请到窗口人工取号。"
        self._health = Health(
            printer_state=status.state.value if hasattr(status.state, "value") else str(status.state),
            printer_message=fault.reason if fault else "正常",
            printer_action=fault.staff_action if fault else "",
            buses=buses,
            sync=replace(self.sync.health(), backlog=backlog),
            db_error=self.db.last_error,
            print_failures=failures,
            out_of_service_reason=reason,
            notices=self._calendar_notices(),
            boards=board_health(self.board),
        )

    def _calendar_notices(self) -> tuple[str, ...]:
        """Warn ahead when the built-in calendar does not know the coming weeks' holidays."""
        today = self.engine.ctx.today()
        cal = self.config.calendar
        for ahead in (0, 45):
            day = today + dt.timedelta(days=ahead)
            listed = any(d.year == day.year for d in (*cal.extra_holidays, *cal.extra_workdays))
            if not self.engine.ctx.calendar.covered(day) and not listed:
                return (
                    f"内置节假日日历不含 {day.year} 年：请在配置 calendar.extra_holidays / extra_workdays 中"
                    f"填入国务院公布的 {day.year} 年放假安排，或由街道中心下发节假日日历。",
                )
        return ()


def board_for(config: HallConfig, engine: QueueEngine, demo: bool) -> BoardServer | None:
    """The call board the hall configures; the demo shows one on this machine even when none is."""
    settings = config.board
    if settings is None and demo:
        # The demo's kiosk still shows and speaks its calls as before: the board is an extra view.
        settings = BoardSettings(host="127.0.0.1", port=8765, voice="kiosk", kiosk_calls="full")
    if settings is None or not settings.enabled:
        return None
    return BoardServer(engine, settings)


def board_health(board: BoardServer | None) -> BoardHealthView | None:
    if board is None:
        return None
    clients = tuple(
        BoardClientView(
            c.page,
            c.address,
            c.connected,
            dt.datetime.fromtimestamp(c.last_seen, dt.UTC),
        )
        for c in board.clients()
    )
    return BoardHealthView(url=board.url(), error=board.error, clients=clients)


def build_runtime(
    config: HallConfig, data_dir: Path, *, clock: Clock | None = None, demo: bool = False
) -> KioskRuntime:
    return KioskRuntime(config, data_dir, clock=clock, demo=demo)


__all__ = ["Health", "KioskRuntime", "SyncHealthView", "TicketOutcome", "build_runtime"]
