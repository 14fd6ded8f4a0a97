"""PrinterDriver: one owner thread per printer, a job queue, and futures for every request.

Nothing here blocks the caller: ``check_status()`` and ``print_doc()`` return
``concurrent.futures.Future`` objects at once. The kiosk UI attaches ``add_done_callback`` and hops
back to its own thread (``Clock.schedule_once``) — no widget is ever touched from the printer thread.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from . import status as st
from .documents import Doc, document_bytes
from .settings import PrinterSettings
from .simulator import SimulatedPrinter
from .status import PrinterFault, PrinterState, PrinterStatus
from .transport import CannotConnect, LinkLost, Transport

log = logging.getLogger(__name__)


class PrintOutcome(enum.Enum):
    PRINTED = "printed"
    """Sent, and the printer said it is fine afterwards."""
    UNVERIFIED = "unverified"
    """Sent, but the printer cannot or did not answer a status query: it probably came out."""
    FAILED = "failed"
    """Not (completely) printed: the link broke, or the printer reported a fault after the job."""


@dataclass(frozen=True)
class PrintResult:
    outcome: PrintOutcome
    key: str
    bytes_total: int
    bytes_sent: int
    status_after: PrinterStatus | None
    fault: PrinterFault | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The ticket is (as far as anyone can tell) in the resident's hand."""
        return self.outcome is not PrintOutcome.FAILED


NOT_QUERIED = PrinterStatus(PrinterState.UNKNOWN)
"""The state when status queries are switched off in the settings: unknown, but not a fault."""


class PrinterDriver:
    """Owns one printer. ``start()`` before use, ``close()`` when done."""

    def __init__(self, settings: PrinterSettings, name: str = "printer") -> None:
        self.settings = settings
        self.name = name
        self.simulator: SimulatedPrinter | None = None
        self._queue: queue.Queue[tuple[str, Any, Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._transport: Transport | None = None
        self._jobs: OrderedDict[str, Future[PrintResult]] = OrderedDict()
        self._jobs_lock = threading.Lock()
        self._listeners: list[Callable[[PrinterStatus], None]] = []
        self.last_status: PrinterStatus | None = None

    # -- life cycle ----------------------------------------------------------------------------------

    def start(self) -> PrinterDriver:
        port = None
        if self.settings.connection == "simulated":
            sim = SimulatedPrinter(self.settings.host, self.settings.port, baud=self.settings.baudrate)
            sim.dots = self.settings.dots
            try:
                sim.start()
            except OSError:  # the configured port is taken (a second kiosk on this machine)
                sim = SimulatedPrinter(self.settings.host, 0, baud=self.settings.baudrate)
                sim.dots = self.settings.dots
                sim.start()
            self.simulator = sim
            port = sim.port
        self._transport = Transport(self.settings, port)
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-owner", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    def __enter__(self) -> PrinterDriver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_listener(self, callback: Callable[[PrinterStatus], None]) -> None:
        """``callback(status)`` on every change of state, called from the printer thread."""
        self._listeners.append(callback)

    # -- requests ------------------------------------------------------------------------------------

    def check_status(self) -> Future[PrinterStatus]:
        """Read the printer's real-time status (``DLE EOT 1..4``) in the printer thread."""
        fut: Future[PrinterStatus] = Future()
        self._submit("status", None, fut)
        return fut

    def print_doc(self, doc: Doc) -> Future[PrintResult]:
        """Print ``doc``. A second request for the same document (same ``doc.key``) while the first is
        queued, or after it succeeded, returns the first one's future: a double tap prints once."""
        with self._jobs_lock:
            prev = self._jobs.get(doc.key)
            if prev is not None and not (prev.done() and (prev.exception() or not prev.result().ok)):
                return prev
            fut: Future[PrintResult] = Future()
            self._jobs[doc.key] = fut
            while len(self._jobs) > 512:
                self._jobs.popitem(last=False)
        self._submit("print", doc, fut)
        return fut

    def _submit(self, kind: str, payload: Any, fut: Future[Any]) -> None:
        if self._thread is None or not self._thread.is_alive():
            fut.set_exception(RuntimeError(f"printer driver {self.name!r} is not running: start() it first"))
            return
        self._queue.put((kind, payload, fut))

    # -- owner thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        assert self._transport is not None
        try:
            while (item := self._queue.get()) is not None:
                kind, payload, fut = item
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    fut.set_result(self._status() if kind == "status" else self._print(payload))
                except Exception as exc:  # a bug must fail the one request, not kill the thread
                    log.exception("printer %s: %s request failed", self.name, kind)
                    fut.set_exception(exc)
        finally:
            self._transport.close()

    def _ensure_open(self) -> None:
        assert self._transport is not None
        if not self._transport.is_open:
            self._transport.open()

    def _read_status(self, first_timeout: float) -> PrinterStatus:
        assert self._transport is not None
        if not self.settings.can_read_status:
            return NOT_QUERIED
        replies: dict[int, int | None] = {}
        for n in st.QUERIES:
            timeout = first_timeout if n == st.QUERY_PRINTER else self.settings.status_timeout_s
            replies[n] = self._transport.ask(st.query(n), timeout)
            if replies[n] is None:
                break
        return st.decode_replies(replies)

    def _status(self) -> PrinterStatus:
        try:
            self._ensure_open()
            result = self._read_status(self.settings.status_timeout_s)
        except CannotConnect as exc:
            result = PrinterStatus(PrinterState.UNKNOWN, fault=st.fault("cannot_connect", str(exc)))
        except LinkLost as exc:
            result = PrinterStatus(PrinterState.UNKNOWN, fault=st.fault("link_lost", str(exc)))
        self._note(result)
        return result

    def _print(self, doc: Doc) -> PrintResult:
        t0 = time.perf_counter()
        sent = 0
        try:
            data = document_bytes(doc, self.settings)
        except Exception as exc:  # e.g. no CJK font for a raster-only printer: a record, not a crash
            log.exception("printer %s: cannot render %s", self.name, doc.key)
            bad = st.fault("render_failed", f"{type(exc).__name__}: {exc}")
            return PrintResult(PrintOutcome.FAILED, doc.key, 0, 0, None, bad, time.perf_counter() - t0)

        def result(
            outcome: PrintOutcome, after: PrinterStatus | None, fault: PrinterFault | None
        ) -> PrintResult:
            return PrintResult(outcome, doc.key, len(data), sent, after, fault, time.perf_counter() - t0)

        try:
            self._ensure_open()
            assert self._transport is not None
            sent = self._transport.write(data)
            # The status query queues behind the job on a slow serial line: allow for its wire time.
            after = self._read_status(self.settings.status_timeout_s + self.settings.wire_seconds(len(data)))
        except CannotConnect as exc:
            after = PrinterStatus(PrinterState.UNKNOWN, fault=st.fault("cannot_connect", str(exc)))
            self._note(after)
            return result(PrintOutcome.FAILED, after, after.fault)
        except LinkLost as exc:
            sent = max(sent, exc.sent)
            lost = st.fault("link_lost", f"{sent} of {len(data)} bytes sent; {exc}")
            self._note(PrinterStatus(PrinterState.UNKNOWN, fault=lost))
            return result(PrintOutcome.FAILED, None, lost)
        self._note(after)
        if after.state.known_bad:
            return result(PrintOutcome.FAILED, after, after.fault)
        if after.state is PrinterState.UNKNOWN:
            return result(PrintOutcome.UNVERIFIED, after, after.fault)
        return result(PrintOutcome.PRINTED, after, after.fault)

    def _note(self, new: PrinterStatus) -> None:
        old, self.last_status = self.last_status, new
        if old is not None and old.state is new.state:
            return
        if new.fault is None:
            log.info("printer %s: %s", self.name, new.state.value)
        else:
            log.warning(
                "printer %s: %s (%s) %s", self.name, new.state.value, new.fault.code, new.fault.detail
            )
        for callback in list(self._listeners):
            try:
                callback(new)
            except Exception:
                log.exception("printer %s: status listener failed", self.name)
