"""The byte link to the printer, with python-escpos printer classes as the transport.

Opened and closed explicitly by the driver's owner thread — never in a constructor or ``__del__``
(python-escpos #445, #231). Reads are ours, one byte with a short timeout: python-escpos ``Network``
would otherwise wait its default 60 s, and its ``device`` property silently reopens a closed link.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from escpos.escpos import Escpos
from escpos.printer import File, Network, Serial

from .settings import PrinterSettings, parse_usb_ids

CONNECT_TIMEOUT_S = 2.0
CHUNK = 4096


class LinkLost(OSError):
    """The link broke while talking to the printer; ``sent`` bytes of the job had been handed over."""

    def __init__(self, message: str, sent: int = 0) -> None:
        super().__init__(message)
        self.sent = sent


class CannotConnect(OSError):
    """The printer could not be opened at all."""


class Transport:
    """One printer link. Not thread-safe: only the driver's owner thread uses it."""

    def __init__(self, settings: PrinterSettings, port: int | None = None) -> None:
        self.settings = settings
        self._port = port if port is not None else settings.port
        self.printer: Escpos | None = None

    @property
    def is_open(self) -> bool:
        return self.printer is not None and bool(self.printer._device)

    def _make(self) -> Escpos:
        s = self.settings
        if s.connection in ("network", "simulated"):
            return Network(s.host, self._port, timeout=CONNECT_TIMEOUT_S, profile=s.profile)
        if s.connection == "serial":
            return Serial(s.device, baudrate=s.baudrate, timeout=s.status_timeout_s, profile=s.profile)
        if s.connection == "file":
            return File(s.device, profile=s.profile)
        from escpos.printer import Usb  # needs pyusb; imported only when configured

        vid, pid = parse_usb_ids(s.device)
        return Usb(vid, pid, timeout=int(CONNECT_TIMEOUT_S * 1000), profile=s.profile)

    def open(self) -> None:
        self.close()
        try:
            printer = self._make()
            printer.open()
        except Exception as exc:  # python-escpos wraps some errors, not all (pyusb, permissions)
            raise CannotConnect(f"{self.settings.connection}: {exc}") from exc
        dev = printer._device
        if isinstance(dev, socket.socket):
            # Real-time queries are 3-byte writes right after a job: without NODELAY, Nagle holds them
            # back until the job's delayed ACK (40 ms on Linux) — longer than the whole ticket takes.
            dev.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.printer = printer

    def close(self) -> None:
        printer, self.printer = self.printer, None
        if printer is not None:
            with contextlib.suppress(Exception):
                printer.close()

    def _device(self) -> Any:
        if not self.is_open:
            raise LinkLost("link is closed")
        assert self.printer is not None
        return self.printer._device

    def write(self, data: bytes) -> int:
        """Send ``data`` in chunks; raise :class:`LinkLost` with the count of bytes handed over."""
        dev = self._device()
        assert self.printer is not None
        if isinstance(dev, socket.socket):
            dev.settimeout(max(5.0, 3 * self.settings.wire_seconds(len(data))))
        elif self.settings.connection == "serial":
            dev.write_timeout = max(5.0, 3 * self.settings.wire_seconds(len(data)))
        sent = 0
        try:
            for i in range(0, len(data), CHUNK):
                self.printer._raw(data[i : i + CHUNK])
                sent = min(i + CHUNK, len(data))
        except Exception as exc:
            self.close()
            raise LinkLost(f"write failed after {sent} bytes: {exc}", sent) from exc
        return sent

    def drain(self) -> None:
        """Discard stale input, such as a status reply that arrived after its timeout."""
        dev = self._device()
        if isinstance(dev, socket.socket):
            dev.setblocking(False)
            try:
                while True:
                    data = dev.recv(256)
                    if not data:
                        self.close()
                        raise LinkLost("the printer closed the connection")
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as exc:
                self.close()
                raise LinkLost(str(exc)) from exc
            finally:
                if self.printer is not None:
                    dev.setblocking(True)
        elif hasattr(dev, "reset_input_buffer"):
            dev.reset_input_buffer()

    def read_byte(self, timeout: float) -> int | None:
        """One reply byte, or None when nothing came within ``timeout`` seconds."""
        dev = self._device()
        try:
            if isinstance(dev, socket.socket):
                dev.settimeout(timeout)
                data = dev.recv(1)
                if not data:
                    self.close()
                    raise LinkLost("the printer closed the connection")
            elif self.settings.connection == "serial":
                dev.timeout = timeout
                data = dev.read(1)
            elif self.settings.connection == "usb":
                assert self.printer is not None
                data = bytes(dev.read(self.printer.in_ep, 1, int(timeout * 1000)))
            else:
                return None  # a device file cannot be read
        except TimeoutError:
            return None
        except LinkLost:
            raise
        except OSError as exc:
            self.close()
            raise LinkLost(str(exc)) from exc
        except Exception as exc:  # pyusb raises its own timeout type
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                return None
            raise
        return data[0] if data else None

    def ask(self, request: bytes, timeout: float) -> int | None:
        """Send a real-time request and wait for its one-byte reply."""
        self.drain()
        self.write(request)
        return self.read_byte(timeout)
