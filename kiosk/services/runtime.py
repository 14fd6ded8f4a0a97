"""`KioskRuntime`: the engine wired to the printer, the keypad buses and sync.

The touch UI talks only to this object. Every method that touches a device, the database or the
network returns a Future (it runs on a worker thread), so the UI thread never blocks; `health()` is
the health monitor's last snapshot.

The runtime only wires. Work that runs by itself is a *part* (kiosk/services/background.py) with its
own thread: the health monitor, the nightly close, and whatever a mode adds (the demo's residents,
kiosk/services/demo.py). Parts start after the devices, in the order added, and are stopped and joined
in reverse before the devices close: `add_part()` is the one place to hang a new background job.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import KeypadDispatcher
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.printer.driver import PrinterDriver, PrintResult
from drivers.printer.simulator import SimulatedPrinter
from kiosk.board.server import BoardServer
from kiosk.config.pin import verify_pin
from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import Clock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.notices import CHANGES_WAITING, Notice
from kiosk.engine.schedule import IssueWindow
from kiosk.engine.staffing import SignInRefused
from kiosk.services.background import Part
from kiosk.services.centre_config import with_centre_holidays
from kiosk.services.documents import day_slip_doc, guide_doc
from kiosk.services.health import BoardClientView, BoardHealthView, Health, SyncHealthView
from kiosk.services.health_monitor import HealthMonitor
from kiosk.services.heartbeat_link import PrinterClock
from kiosk.services.heartbeat_link import collect as collect_heartbeat
from kiosk.services.nightly_close import NightlyClose
from kiosk.services.pin_guard import FILE_NAME as PIN_LOCK_FILE
from kiosk.services.pin_guard import SIGN_IN_FILE_NAME, PinGuard, PinVerdict, SignInLocked
from kiosk.services.sync_link import SyncLink
from kiosk.services.ticketing import TicketDesk, TicketOutcome
from sync.contract.figures import DaySummary
from sync.contract.heartbeat import Heartbeat

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
    "sign_in",
    "sign_out",
)


class KioskRuntime:
    demo = False
    """True when a demo mode is wrapped around this runtime (the UI then shows printout previews)."""

    def __init__(self, config: HallConfig, data_dir: Path, *, clock: Clock | None = None):
        self.data_dir = Path(data_dir)
        self.config = config = with_centre_holidays(config, self.data_dir / "centre-config")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.data_dir / "kiosk.db")
        self.engine = QueueEngine(config, self.db, clock)
        self.printer: PrinterDriver | None = PrinterDriver(config.devices.printer)
        self.keypad_sim: SimulatedKeypadBus | None = None
        self.dispatcher: KeypadDispatcher | None = None
        self.desk = TicketDesk(self.engine, self.printer)
        self.sync = SyncLink(config, self.db, self.engine, self.data_dir)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-worker")
        # One thread for ticket issuing keeps taps in order and makes double taps meet each other.
        self._desk_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-desk")
        self.board = board_for(config, self.engine)
        if self.board is not None:
            self.engine.subscribe(self.board.on_notice)  # one more listener of the same notices
        self.health_monitor = HealthMonitor(
            self.engine, self.printer, self.sync, lambda: self.dispatcher, lambda: board_health(self.board)
        )
        printer_clock = PrinterClock()

        def heartbeat() -> Heartbeat:
            h = self.health_monitor.snapshot()
            since = printer_clock.seen(h.printer_state, self.engine.clock.now())
            return collect_heartbeat(self.engine, h, config, self.data_dir, since)

        self.sync.set_heartbeat(heartbeat)
        self.nightly_close = NightlyClose(self.engine, lambda _day: self.sync.push_soon(nightly=True))
        self.parts: list[Part] = [self.health_monitor, self.nightly_close]
        self._started: list[Part] = []
        self.engine.subscribe(self._on_notice)
        self.pin_guard = PinGuard(self.data_dir / PIN_LOCK_FILE, self.verify_pin)
        self.sign_in_guard = PinGuard(self.data_dir / SIGN_IN_FILE_NAME)

    def add_part(self, part: Part) -> None:
        """Run `part` with the runtime: started after the devices, stopped (and joined) before them."""
        self.parts.append(part)
        if self._started:  # already running: start it now, in order
            part.start()
            self._started.append(part)

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
        self.health_monitor.refresh()
        for part in self.parts:
            part.start()
            self._started.append(part)
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
        while self._started:
            self._started.pop().stop()
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
        if n.kind in CHANGES_WAITING:
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
        if name == "sign_in":
            return self._pool.submit(self._sign_in, window, *args)
        return self._pool.submit(getattr(self.engine, name), window, *args)

    def _sign_in(self, window: int, staff_id: str, pin: str) -> str:
        """签到 behind its own lock-out: wrong 工号/PIN pairs in a row lock it for 2, 4, 8, 16, 30 s,
        kept on disk like the staff PIN's, so nobody can try a colleague's PIN at speed."""
        names: list[str] = []

        def check() -> bool:
            try:
                names.append(self.engine.sign_in(window, staff_id, pin))
            except SignInRefused:
                return False
            return True

        before = self.sign_in_guard.state().lock_left
        verdict = self.sign_in_guard.attempt_with(check)
        if verdict.ok:
            return names[0]
        wait = math.ceil(verdict.lock_left)
        if before > 0:
            raise SignInLocked(f"输错次数过多，请 {wait} 秒后再试", verdict.lock_left)
        raise SignInLocked(f"工号或密码不对，请 {wait} 秒后重新输入", verdict.lock_left)

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

    def pin_attempt(self, pin: str) -> PinVerdict:
        """The PIN screen's check: counts wrong PINs on disk, so the lock-out outlives a restart."""
        return self.pin_guard.attempt(pin)

    def pin_state(self) -> PinVerdict:
        return self.pin_guard.state()

    # ---- reads (cheap, but still better off the UI thread) -------------------------------------
    def overview(self) -> dict[str, dict[str, int]]:
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
        return self.health_monitor.snapshot()


def board_for(config: HallConfig, engine: QueueEngine) -> BoardServer | None:
    """The call board the hall configures (the demo configures one on this machine)."""
    settings = config.board
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


def build_runtime(config: HallConfig, data_dir: Path, *, clock: Clock | None = None) -> KioskRuntime:
    return KioskRuntime(config, data_dir, clock=clock)


__all__ = ["Health", "KioskRuntime", "SyncHealthView", "TicketOutcome", "build_runtime"]
