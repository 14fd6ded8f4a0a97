"""One keypad bus: transport + parser + protocol, ACKs, retransmission dedupe, debounce, keypad liveness.

Everything in ``_on_data`` runs on the transport's owner thread and only does cheap, non-blocking work:
parse, acknowledge, filter, hand the event to a listener (the dispatcher's queue). The engine is never
called from here, so an ACK is never delayed by a database commit.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .events import KeyEvent
from .protocol import KeypadProtocol, get_protocol
from .settings import KeypadBusSettings
from .transport import LinkError, LinkState, SerialTransport

log = logging.getLogger(__name__)


@dataclass
class BusCounters:
    frames: int = 0
    acks: int = 0
    events: int = 0
    retransmits: int = 0
    debounced: int = 0
    echoes: int = 0
    unknown_frames: int = 0
    unknown_address: int = 0


class KeypadStatus(enum.StrEnum):
    OK = "ok"
    SILENT = "silent"  # not heard for longer than silent_after_s
    UNKNOWN = "unknown"  # the bus is down, so nothing can be said


@dataclass(frozen=True)
class KeypadHealth:
    address: int
    window: int
    status: KeypadStatus
    last_seen: float | None
    """Wall-clock time (time.time()) of the last frame from this address, None if never seen."""
    not_understood: int = 0
    """Frames from this keypad that were well formed but no known key (another vendor's codes?)."""


@dataclass(frozen=True)
class BusHealth:
    name: str
    url: str
    state: LinkState
    state_since: float
    """Wall-clock time the bus entered ``state``."""
    last_error: LinkError | None
    keypads: tuple[KeypadHealth, ...]
    counters: dict[str, int] = field(default_factory=dict)
    unknown_addresses: tuple[int, ...] = ()
    """Addresses heard on the line that no window is configured for."""


class KeypadBus:
    """Parses and acknowledges keypad frames on one line and emits accepted :class:`KeyEvent` s."""

    def __init__(
        self,
        settings: KeypadBusSettings,
        protocol: KeypadProtocol | None = None,
        *,
        on_event: Callable[[KeyEvent], None] = lambda e: None,
        on_state: Callable[[KeypadBus, LinkState], None] = lambda b, s: None,
        on_frame: Callable[[Any, float, str], None] | None = None,
        acknowledge: bool = True,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.protocol = protocol or get_protocol(settings.protocol, settings.key_actions())
        self.on_frame = on_frame
        """``on_frame(frame, t, verdict)`` for every parsed frame: what became of it (keypad-monitor)."""
        self.acknowledge = acknowledge
        """False for a listen-only monitor: nothing is ever written to the line."""
        self._not_understood: dict[int, int] = {}
        self.parser = self.protocol.new_parser()
        self.counters = BusCounters()
        self.on_event = on_event
        self.on_state = on_state
        self.windows = {k.address: k.window for k in settings.keypads}
        self._lock = threading.Lock()
        self._last_seen: dict[int, tuple[float, float]] = {}  # address -> (monotonic, wall)
        self._last_copy: dict[int, tuple[bytes, float]] = {}  # address -> (raw, monotonic)
        self._last_accepted: dict[Any, float] = {}  # KeyEvent.key -> monotonic
        self._sent: dict[bytes, float] = {}  # raw -> monotonic, for echo suppression
        self._silent: set[int] = set()
        self._unknown: set[int] = set()
        self._started_at = time.monotonic()
        self.transport = SerialTransport(
            settings.url,
            on_data=self.feed,
            on_state=self._on_link,
            on_written=self._on_written,
            baudrate=settings.baudrate,
            bytesize=settings.bytesize,
            parity=settings.parity,
            stopbits=settings.stopbits,
            reconnect_initial_s=settings.reconnect_initial_s,
            reconnect_max_s=settings.reconnect_max_s,
            name=settings.name,
        )

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._started_at = time.monotonic()
        self.transport.start()

    def stop(self) -> None:
        self.transport.stop()

    @property
    def state(self) -> LinkState:
        return self.transport.state

    def send(self, data: bytes) -> bool:
        """Queue a host → device frame; False while the line is down (the dispatcher resends on UP)."""
        return self.transport.send(data)

    # -- owner thread ---------------------------------------------------------------------------------
    def _on_link(self, state: LinkState) -> None:
        if state is LinkState.UP:
            self.parser.reset()  # a partial frame from before the outage is meaningless now
        self.on_state(self, state)

    def _on_written(self, data: bytes, t: float) -> None:
        if self.settings.echo_window_ms:
            horizon = t - self.settings.echo_window_ms / 1000
            for raw in [r for r, ts in self._sent.items() if ts < horizon]:
                del self._sent[raw]
            self._sent[data] = t

    def feed(self, data: bytes, t: float) -> None:
        """Bytes read at monotonic time ``t`` (the transport calls this; tests may too)."""
        for frame in self.parser.feed(data):
            self._on_frame(frame, t)

    def _on_frame(self, frame: Any, t: float) -> None:
        verdict = self._judge(frame, t)
        if self.on_frame is not None:
            try:
                self.on_frame(frame, t, verdict)
            except Exception:
                log.exception("keypad bus %s: frame observer failed", self.name)

    def _judge(self, frame: Any, t: float) -> str:
        """Handle one parsed frame; returns what became of it, in words."""
        c = self.counters
        c.frames += 1
        raw: bytes = frame.raw
        address: int = frame.address
        # Our own transmission read back (an adapter that echoes): recognised by its bytes and its
        # timing, whatever its CMD byte — an ACK of a caller key is byte-identical to the key frame.
        sent_at = self._sent.get(raw)
        if sent_at is not None and t - sent_at < self.settings.echo_window_ms / 1000:
            c.echoes += 1
            return (
                f"ignored: our own frame echoed back (within echo_window_ms={self.settings.echo_window_ms})"
            )
        with self._lock:
            self._last_seen[address] = (t, time.time())
        ack = self.protocol.ack(frame)
        if ack is not None and self.acknowledge:
            self.transport.send(ack)
            c.acks += 1
        event = self.protocol.classify(frame, self.name, t)
        if event is None:
            c.unknown_frames += 1
            with self._lock:
                self._not_understood[address] = self._not_understood.get(address, 0) + 1
            why = getattr(self.protocol.interpret(frame), "why_not", "") or "not a known key"
            return f"not understood: {why}"
        prev = self._last_copy.get(address)
        self._last_copy[address] = (raw, t)
        if prev is not None and prev[0] == raw and t - prev[1] < self.settings.retransmit_window_ms / 1000:
            c.retransmits += 1  # the device missed our ACK and sent it again: acknowledged, counted once
            return f"ignored: the keypad resent it (within retransmit_window_ms={self.settings.retransmit_window_ms})"
        if address not in self.windows:
            c.unknown_address += 1
            with self._lock:
                new = address not in self._unknown
                self._unknown.add(address)
            if new:
                log.warning("keypad bus %s: address %d is not assigned to any window", self.name, address)
            return f"ignored: address {address} is not assigned to any window"
        last = self._last_accepted.get(event.key)
        if last is not None and t - last < self.settings.debounce_ms / 1000:
            c.debounced += 1
            return f"ignored: same key again within debounce_ms={self.settings.debounce_ms}"
        self._last_accepted[event.key] = t
        c.events += 1
        self.on_event(event)
        window = self.windows[address]
        if event.action is not None:
            return f"window {window}: {event.action.name.lower()}"
        return f"window {window}: rating key {event.key_index}"

    def not_understood(self) -> dict[int, int]:
        """Per address: frames seen but not understood."""
        with self._lock:
            return dict(self._not_understood)

    # -- health (any thread) --------------------------------------------------------------------------
    def check_silence(self, now: float | None = None) -> tuple[list[int], list[int]]:
        """Addresses that went silent and that came back since the last call; each logged once."""
        now = time.monotonic() if now is None else now
        limit = self.settings.silent_after_s
        with self._lock:
            seen = dict(self._last_seen)
        went: list[int] = []
        back: list[int] = []
        if self.state is not LinkState.UP:
            return went, back
        for address in self.windows:
            t = seen.get(address, (self._started_at, 0.0))[0]
            silent = now - t > limit
            if silent and address not in self._silent:
                self._silent.add(address)
                went.append(address)
                log.warning(
                    "keypad bus %s: keypad %d (window %d) silent for %.0f s",
                    self.name,
                    address,
                    self.windows[address],
                    now - t,
                )
            elif not silent and address in self._silent:
                self._silent.discard(address)
                back.append(address)
                log.info("keypad bus %s: keypad %d is heard again", self.name, address)
        return went, back

    def health(self, now: float | None = None) -> BusHealth:
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = dict(self._last_seen)
            unknown = tuple(sorted(self._unknown))
        up = self.state is LinkState.UP
        keypads = []
        for address, window in sorted(self.windows.items()):
            mono, wall = seen.get(address, (self._started_at, None))
            status = (
                KeypadStatus.UNKNOWN
                if not up
                else KeypadStatus.SILENT
                if now - mono > self.settings.silent_after_s
                else KeypadStatus.OK
            )
            keypads.append(KeypadHealth(address, window, status, wall, self._not_understood.get(address, 0)))
        counters = dict(asdict(self.counters))
        counters.update(vars(self.parser.counters))  # frames_ok, bytes_dropped, bad_* (no name clashes)
        t = self.transport
        counters.update(
            opens=t.opens,
            failures=t.failures,
            bytes_in=t.bytes_in,
            bytes_out=t.bytes_out,
            dropped_writes=t.dropped_writes,
        )
        return BusHealth(
            name=self.name,
            url=self.settings.url,
            state=t.state,
            state_since=time.time() - (now - t.state_since),
            last_error=t.last_error,
            keypads=tuple(keypads),
            counters=counters,
            unknown_addresses=unknown,
        )
