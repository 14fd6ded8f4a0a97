"""The simulated ESC/POS printer shipped for the demo and the tests.

It listens on loopback TCP like a network printer (port 9100 or an ephemeral one), answers real-time
``DLE EOT`` queries from a scripted state, can emulate a slow serial link and drop the connection in
the middle of a job, and keeps every job decoded (text, sizes, QR payloads, cuts, raster images) with a
PNG preview. Run it alone with ``python -m drivers.printer.simulator --port 9100``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import struct
import threading
import time
from pathlib import Path
from types import TracebackType

from .decode import Job, StreamDecoder
from .status import SCRIPTED_REPLIES, PrinterState

log = logging.getLogger(__name__)

STATES = {s.value: s for s in PrinterState}


def _state(state: str | PrinterState) -> PrinterState:
    if isinstance(state, PrinterState):
        return state
    try:
        return STATES[state]
    except KeyError:
        raise ValueError(f"unknown state {state!r}; one of {sorted(STATES)}") from None


class SimulatedPrinter:
    """A loopback TCP printer. Start and stop it explicitly (or use it as a context manager)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state: str | PrinterState = PrinterState.READY,
        baud: int | None = None,
        disconnect_after_bytes: int | None = None,
        dots: int = 576,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._state = _state(state)
        self.baud = baud
        self.dots = dots
        self._disconnect_after = disconnect_after_bytes
        self._lock = threading.Condition()
        self._jobs: list[Job] = []
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self.bytes_received = 0
        self.status_queries = 0
        self.connections = 0

    # -- control -------------------------------------------------------------------------------------

    def start(self) -> SimulatedPrinter:
        server = socket.create_server((self.host, self._requested_port), reuse_port=False)
        server.settimeout(0.5)
        self._server = server
        self._spawn(self._accept_loop, "sim-printer-accept")
        return self

    def stop(self) -> None:
        """Close the port and every connection (idempotent)."""
        self._stop.set()
        # shutdown() wakes threads blocked in accept()/recv() at once; close() alone would not.
        for sock in [self._server, *self._conns]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._server is not None:
            self._server.close()
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self) -> SimulatedPrinter:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the simulated printer first"
        return int(self._server.getsockname()[1])

    @property
    def state(self) -> PrinterState:
        return self._state

    def set_state(self, state: str | PrinterState) -> None:
        """Script the printer: ``ready``, ``paper_near_end``, ``paper_out``, ``cover_open``,
        ``cutter_error``, ``offline`` or ``no_reply`` (answers no status query)."""
        self._state = _state(state)

    def disconnect_after(self, n_bytes: int | None) -> None:
        """Drop the connection (TCP reset) once ``n_bytes`` more bytes have arrived. One-shot."""
        with self._lock:
            self._disconnect_after = n_bytes

    @property
    def jobs(self) -> list[Job]:
        """Every job received so far, finished or cut short, oldest first."""
        with self._lock:
            return list(self._jobs)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[Job]:
        """Block until at least ``count`` jobs exist (or ``timeout``); returns the jobs."""
        with self._lock:
            self._lock.wait_for(lambda: len(self._jobs) >= count, timeout=timeout)
            return list(self._jobs)

    # -- serving -------------------------------------------------------------------------------------

    def _spawn(self, target: object, name: str, *args: object) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._conns.append(conn)
            self._spawn(self._serve, f"sim-printer-conn-{self.connections}", conn)

    def _serve(self, conn: socket.socket) -> None:
        decoder = StreamDecoder()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one-byte replies go out at once
        conn.settimeout(0.5)
        chunk = 64 if self.baud else 65536
        try:
            while not self._stop.is_set():
                try:
                    data = conn.recv(chunk)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                if self.baud:
                    time.sleep(len(data) * 10 / self.baud)
                data, drop = self._cut_short(data)
                self._consume(conn, decoder, data)
                if drop:
                    # SO_LINGER 0: close with a reset, as a printer losing power or a cable pulled would.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    log.info("simulated printer: dropping the connection mid-job")
                    break
        finally:
            job = decoder.finish()
            if job is not None:
                self._record(job)
            conn.close()

    def _cut_short(self, data: bytes) -> tuple[bytes, bool]:
        with self._lock:
            if self._disconnect_after is None:
                return data, False
            if len(data) < self._disconnect_after:
                self._disconnect_after -= len(data)
                return data, False
            keep = self._disconnect_after
            self._disconnect_after = None
            return data[:keep], True

    def _consume(self, conn: socket.socket, decoder: StreamDecoder, data: bytes) -> None:
        before = len(decoder.jobs)
        queries = decoder.feed(data)
        self.bytes_received += len(data)
        for job in decoder.jobs[before:]:
            self._record(job)
        replies = SCRIPTED_REPLIES[self._state]
        for n in queries:
            self.status_queries += 1
            if replies is not None and 1 <= n <= 4:
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([replies[n - 1]]))

    def _record(self, job: Job) -> None:
        job.finished_at = time.perf_counter()
        job.dots = self.dots
        job.state = self._state.value
        job.printed = self._state.can_print or self._state is PrinterState.UNKNOWN
        with self._lock:
            self._jobs.append(job)
            self._lock.notify_all()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Simulated ESC/POS printer on loopback TCP")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--state", default="ready", choices=sorted(STATES))
    ap.add_argument("--baud", type=int, default=None, help="emulate a serial line of this speed")
    ap.add_argument("--paper", type=int, default=80, choices=(80, 58), help="paper width in mm")
    ap.add_argument("--out", type=Path, default=None, help="save a PNG preview of every job here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    sim = SimulatedPrinter(args.host, args.port, state=args.state, baud=args.baud)
    sim.dots = 576 if args.paper == 80 else 384
    sim.start()
    print(f"simulated printer listening on {args.host}:{sim.port} (state {args.state})", flush=True)
    seen = 0
    try:
        while True:
            jobs = sim.wait_for_jobs(seen + 1, timeout=1.0)
            for job in jobs[seen:]:
                seen += 1
                print(f"--- job {seen}: {len(job.raw)} bytes, cuts={job.cuts}, qr={job.qr_payloads}")
                print(job.text())
                if args.out:
                    args.out.mkdir(parents=True, exist_ok=True)
                    job.png(args.out / f"job-{seen:04d}.png", sim.dots)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
