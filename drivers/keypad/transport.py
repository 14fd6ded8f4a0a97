"""One serial line, owned by one thread: it opens the port, reads, writes, and reopens after failures.

All writes go through the owner thread's outbound queue, so ACKs and display frames never interleave
mid-frame. A failure (EIO from an unplugged USB adapter, a pty whose other end closed, a dropped
``socket://``) marks the line DOWN; the thread then reopens it with exponential backoff.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

log = logging.getLogger(__name__)


class LinkState(enum.StrEnum):
    STOPPED = "stopped"
    UP = "up"
    DOWN = "down"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True)
class LinkError:
    """A structured record of why a line is down, for the staff screen."""

    code: str
    reason: str
    action: str
    at: float  # time.time()


def _describe(exc: BaseException, url: str) -> LinkError:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "no such file" in lowered or "could not open" in lowered:
        code, action = "port-missing", f"Check the USB-serial adapter for {url} is plugged in."
    elif any(w in lowered for w in ("errno 5", "input/output", "returned no data", "disconnected")):
        code, action = "port-lost", "The adapter was unplugged or lost power; plug it back in."
    elif "permission" in lowered:
        code, action = "port-permission", "The kiosk user needs the dialout group for this port."
    else:
        code, action = "port-error", "Check the cable and adapter; the kiosk keeps retrying."
    return LinkError(code, text, action, time.time())


class SerialTransport:
    """Owner thread for one port. ``on_data(bytes, t_monotonic)`` and ``on_state(state)`` run on it."""

    def __init__(
        self,
        url: str,
        *,
        on_data: Callable[[bytes, float], None],
        on_state: Callable[[LinkState], None] = lambda s: None,
        on_written: Callable[[bytes, float], None] = lambda b, t: None,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        read_timeout_s: float = 0.05,
        name: str = "keypad",
    ) -> None:
        self.url = url
        self.name = name
        self._port_args = dict(baudrate=baudrate, bytesize=bytesize, parity=parity, stopbits=stopbits)
        self._on_data = on_data
        self._on_state = on_state
        self._on_written = on_written
        self._backoff = (reconnect_initial_s, reconnect_max_s)
        self._read_timeout = read_timeout_s
        self._out: collections.deque[bytes] = collections.deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.SerialBase | None = None
        self.state = LinkState.STOPPED
        self.state_since = time.monotonic()
        self.last_error: LinkError | None = None
        self.opens = 0
        self.failures = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.dropped_writes = 0

    # -- public, any thread ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("transport already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"keypad-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def send(self, data: bytes) -> bool:
        """Queue bytes for the owner thread. Returns False (and drops them) while the line is not up."""
        if self.state is not LinkState.UP:
            self.dropped_writes += 1
            return False
        self._out.append(data)
        if threading.current_thread() is not self._thread:
            self._wake()
        return True

    # -- owner thread ---------------------------------------------------------------------------------
    def _wake(self) -> None:
        port = self._port
        cancel = getattr(port, "cancel_read", None)
        if cancel is not None:
            # The port may be closing; the owner notices on its own.
            with contextlib.suppress(OSError, ValueError, serial.SerialException):
                cancel()

    def _set_state(self, state: LinkState) -> None:
        if state is self.state:
            return
        self.state = state
        self.state_since = time.monotonic()
        try:
            self._on_state(state)
        except Exception:
            log.exception("keypad bus %s: state listener failed", self.name)

    def _open(self) -> serial.SerialBase:
        port = serial.serial_for_url(
            self.url,
            do_not_open=True,
            timeout=self._read_timeout,
            # flock: a second kiosk process on the same line would interleave ACKs with ours
            exclusive=True,
            **self._port_args,
        )
        port.open()
        return port

    def _run(self) -> None:
        delay = self._backoff[0]
        first = True
        while not self._stop.is_set():
            try:
                port = self._open()
            except Exception as exc:  # noqa: BLE001 - SerialException, OSError, ValueError (bad URL), anything else
                self._failed(exc, was_up=False)
                if first:
                    self._set_state(LinkState.DOWN)
                    first = False
                self._set_state(LinkState.RECONNECTING)
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            first = False
            delay = self._backoff[0]
            self._port = port
            self.opens += 1
            self._out.clear()
            if self.last_error is not None:
                log.warning("keypad bus %s: %s is back up", self.name, self.url)
                self.last_error = None  # the staff screen shows current trouble; `failures` keeps count
            self._set_state(LinkState.UP)
            try:
                self._serve(port)
            except Exception as exc:
                # SerialException/OSError are the expected ones; anything else (pyserial has raised
                # TypeError on a port yanked mid-read) must not kill the owner thread either.
                if not isinstance(exc, serial.SerialException | OSError):
                    log.exception("keypad bus %s: unexpected error on %s", self.name, self.url)
                self._failed(exc, was_up=True)
                self._set_state(LinkState.DOWN)
                if not self._stop.is_set():
                    self._set_state(LinkState.RECONNECTING)
                    self._stop.wait(delay)
            finally:
                self._port = None
                with contextlib.suppress(Exception):  # closing a dead port may fail in any way
                    port.close()
        self._set_state(LinkState.STOPPED)

    def _failed(self, exc: BaseException, *, was_up: bool) -> None:
        self.failures += 1
        previous = self.last_error
        self.last_error = _describe(exc, self.url)
        if was_up or previous is None:  # log once when it degrades, not once per retry
            log.warning("keypad bus %s (%s) down: %s", self.name, self.url, self.last_error.reason)
        elif previous.code != self.last_error.code:
            log.info("keypad bus %s still down: %s", self.name, self.last_error.reason)

    def _serve(self, port: serial.SerialBase) -> None:
        while not self._stop.is_set():
            self._flush(port)
            data = port.read(max(1, port.in_waiting))
            if data:
                now = time.monotonic()
                self.bytes_in += len(data)
                try:
                    self._on_data(data, now)
                except Exception:
                    log.exception("keypad bus %s: frame handler failed", self.name)
        self._flush(port)

    def _flush(self, port: serial.SerialBase) -> None:
        while self._out:
            data = self._out.popleft()
            port.write(data)
            self.bytes_out += len(data)
            self._on_written(data, time.monotonic())
