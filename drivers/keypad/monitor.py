"""`kiosk-admin keypad-monitor`: every frame on a keypad line, what it means, and what the kiosk would
do with it or why it ignores it — for an installer with a keypad of unknown vendor in hand.

It runs the kiosk's own bus code (parser, echo and retransmission filters, key map, windows), so its
verdicts are the kiosk's; only the engine is left out. The kiosk must be stopped: a line is opened
exclusively.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from .bus import KeypadBus
from .events import KeyKind
from .settings import KeypadBusSettings
from .transport import LinkState


def describe_frame(bus: KeypadBus, frame: Any) -> str:
    """Address, CMD, DATA and the key it decodes to (or why it is none)."""
    meaning = bus.protocol.interpret(frame)
    data = frame.data.hex(" ").upper() or "-"
    head = f"addr {frame.address:3d}  cmd {frame.command:02X}  data {data:<17}"
    if meaning.event_kind is KeyKind.RATING:
        return f"{head} rating key {meaning.key_index}"
    if meaning.event_kind is KeyKind.STAFF:
        return f"{head} {meaning.action.name.lower()}"
    return f"{head} ?"


class FramePrinter:
    def __init__(self, out: TextIO, wall: bool = True) -> None:
        self.out = out
        self.wall = wall
        self.bus: KeypadBus | None = None
        self._lock = threading.Lock()

    def __call__(self, frame: Any, t: float, verdict: str) -> None:
        assert self.bus is not None
        stamp = dt.datetime.now().astimezone().strftime("%H:%M:%S.%f")[:-3] if self.wall else f"{t:8.3f}s"
        with self._lock:
            print(f"{stamp}  {frame.raw.hex(' ').upper()}", file=self.out)
            print(f"          {describe_frame(self.bus, frame)} → {verdict}", file=self.out, flush=True)


def counters_text(bus: KeypadBus) -> str:
    h = bus.health()
    c = h.counters
    lines = [
        f"frames {c['frames']}  key events {c['events']}  acks sent {c['acks']}  echoes {c['echoes']}  "
        f"resent {c['retransmits']}  debounced {c['debounced']}  not understood {c['unknown_frames']}  "
        f"unassigned address {c['unknown_address']}",
        f"garbage: bytes dropped {c['bytes_dropped']}, bad length {c['bad_length']}, bad checksum "
        f"{c['bad_checksum']}, bad start {c['bad_start']}, bad end {c['bad_end']}",
    ]
    for address, n in sorted(bus.not_understood().items()):
        lines.append(f"address {address}: {n} frame(s) not understood — compare their codes with key_map")
    return "\n".join(lines)


def _listen_only(settings: KeypadBusSettings) -> KeypadBusSettings:
    return settings.model_copy(update={"reconnect_initial_s": 0.2, "reconnect_max_s": 2.0})


def watch(
    settings: KeypadBusSettings,
    out: TextIO,
    *,
    seconds: float | None = None,
    acknowledge: bool = True,
) -> KeypadBus:
    """Open the line and print frames until ``seconds`` pass (or Ctrl-C), then the counters."""
    printer = FramePrinter(out)
    bus = KeypadBus(_listen_only(settings), on_frame=printer, acknowledge=acknowledge)
    printer.bus = bus
    bus.start()
    deadline = None if seconds is None else time.monotonic() + seconds
    announced: LinkState | None = None
    try:
        while deadline is None or time.monotonic() < deadline:
            state = bus.state
            if state is not announced:
                announced = state
                if state is LinkState.UP:
                    # the kiosk answers a key once committed; the monitor commits nothing, so at once
                    ack = "acknowledging every key at once" if acknowledge else "listening only, no ACKs"
                    print(
                        f"listening on {settings.url} ({settings.baudrate} baud, {ack})", file=out, flush=True
                    )
                elif bus.transport.last_error is not None:
                    e = bus.transport.last_error
                    print(f"cannot open {settings.url}: {e.reason} — {e.action}", file=out, flush=True)
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        bus.stop()
    print(counters_text(bus), file=out, flush=True)
    return bus


def read_capture(path: Path) -> list[bytes]:
    """A capture: hex text (one chunk a line, ``#`` comments) or raw bytes (anything else)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return [raw]
    chunks = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            chunks.append(bytes.fromhex(line))
        except ValueError:
            return [raw]  # not hex text after all
    return chunks


def replay(
    settings: KeypadBusSettings, chunks: Iterable[bytes], out: TextIO, gap_s: float = 1.0
) -> KeypadBus:
    """Feed captured chunks ``gap_s`` apart through the kiosk's bus logic, never writing to any line."""
    printer = FramePrinter(out, wall=False)
    bus = KeypadBus(settings, on_frame=printer, acknowledge=False)
    printer.bus = bus
    for i, chunk in enumerate(chunks):
        bus.feed(chunk, i * gap_s)
    print(counters_text(bus), file=out, flush=True)
    return bus


__all__ = ["read_capture", "replay", "watch"]
