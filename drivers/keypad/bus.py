"""One keypad bus: transport + parser + protocol, ACKs after commit, retransmission dedupe, debounce, liveness.

Everything in ``_on_data`` runs on the transport's owner thread and only does cheap, non-blocking work:
parse, filter, hand the event to a listener (the dispatcher's queue). The engine is never called from
here. A key press that becomes an event is acknowledged only when the dispatcher reports it committed
(``acknowledge_press``), so an acknowledged press survives a power cut; meanwhile the reader goes on serving
every other keypad on the line, and resends of the press still waiting are neither acted on nor answered.
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
    resent_pending: int = 0
    """Resends of a press whose commit was still awaited: not acted on, answered once committed."""
    released: int = 0
    """Presses whose operation failed (not committed): never acknowledged, so the keypad resends."""
    late_acks: int = 0
    """Acknowledgements held while the line was down and sent when it came back."""


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
        defer_acks: bool = False,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.protocol = protocol or get_protocol(settings.protocol, settings.key_actions())
        self.on_frame = on_frame
        """``on_frame(frame, t, verdict)`` for every parsed frame: what became of it (keypad-monitor)."""
        self.acknowledge = acknowledge
        """False for a listen-only monitor: nothing is ever written to the line."""
        self.defer_acks = defer_acks
        """True (the dispatcher sets it): a press that becomes an event is acknowledged by
        :meth:`acknowledge_press` once committed. False (keypad-monitor, which commits nothing): at once."""
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
        # (address, raw) -> its ACK and how many such presses await their commit (more than one only
        # with retransmit_window_ms=0, when every copy is a press of its own)
        self._pending: dict[tuple[int, bytes], tuple[bytes, int]] = {}
        self._unsent: dict[tuple[int, bytes], bytes] = {}  # committed while the line was down
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
            self._send_held_acks()
        self.on_state(self, state)

    def _send_held_acks(self) -> None:
        """Acknowledge presses committed while the line was down; a resend that follows is then
        recognised from now on (the window restarts), not acted on a second time."""
        now = time.monotonic()
        with self._lock:
            held, self._unsent = self._unsent, {}
            for address, raw in held:
                self._last_copy[address] = (raw, now)
        for ack in held.values():
            if self.transport.send(ack):
                self.counters.acks += 1
                self.counters.late_acks += 1

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
        ack = self.protocol.ack(frame) if self.acknowledge else None
        event = self.protocol.classify(frame, self.name, t)
        if event is None:
            self._send_ack(ack)  # nothing to commit: answered at once, so the device stops resending
            c.unknown_frames += 1
            with self._lock:
                self._not_understood[address] = self._not_understood.get(address, 0) + 1
            why = getattr(self.protocol.interpret(frame), "why_not", "") or "not a known key"
            return f"not understood: {why}"
        verdict = self._filter(event, ack, t)
        if verdict is not None:
            return verdict
        c.events += 1
        self.on_event(event)
        window = self.windows[address]
        if event.action is not None:
            return f"window {window}: {event.action.name.lower()}"
        return f"window {window}: rating key {event.key_index}"

    def _filter(self, event: KeyEvent, ack: bytes | None, t: float) -> str | None:
        """None if ``event`` is a new press to act on (its ACK then waits for :meth:`acknowledge_press`, or
        goes now without ``defer_acks``); otherwise what became of the frame, its ACK sent if due."""
        c = self.counters
        address, raw = event.address, event.raw
        with self._lock:
            pending = (address, raw) in self._pending
            prev = self._last_copy.get(address)
            self._last_copy[address] = (raw, t)
        if pending and self.settings.retransmit_window_ms:
            c.resent_pending += 1  # the keypad gave up waiting for our ACK; it gets it on commit
            return "waiting: the keypad resent a press not yet committed (acknowledged once it is)"
        if prev is not None and prev[0] == raw and t - prev[1] < self.settings.retransmit_window_ms / 1000:
            self._send_ack(ack)  # already committed (or refused): answered again, acted on once
            c.retransmits += 1
            return f"ignored: the keypad resent it (within retransmit_window_ms={self.settings.retransmit_window_ms})"
        if address not in self.windows:
            self._send_ack(ack)
            c.unknown_address += 1
            with self._lock:
                new = address not in self._unknown
                self._unknown.add(address)
            if new:
                log.warning("keypad bus %s: address %d is not assigned to any window", self.name, address)
            return f"ignored: address {address} is not assigned to any window"
        with self._lock:  # release_press (the dispatcher's thread) forgets the press when it failed
            last = self._last_accepted.get(event.key)
            bounced = last is not None and t - last < self.settings.debounce_ms / 1000
            if not bounced:
                self._last_accepted[event.key] = t
                if self.defer_acks and ack is not None:
                    n = self._pending.get((address, raw), (ack, 0))[1]
                    self._pending[(address, raw)] = (ack, n + 1)
        if bounced:
            self._send_ack(ack)
            c.debounced += 1
            return f"ignored: same key again within debounce_ms={self.settings.debounce_ms}"
        if not self.defer_acks:
            self._send_ack(ack)
        return None

    def _send_ack(self, ack: bytes | None) -> None:
        if ack is not None and self.transport.send(ack):
            self.counters.acks += 1

    # -- the dispatcher (its worker thread) -----------------------------------------------------------
    def acknowledge_press(self, event: KeyEvent) -> None:
        """``event`` was committed (or refused by the engine, which is final too): send its ACK now.
        A resend within ``retransmit_window_ms`` from here on is answered again and not acted on."""
        key = (event.address, event.raw)
        with self._lock:
            ack = self._unpend(key)
            if ack is None:
                return
            last = self._last_copy.get(event.address)
            if last is not None and last[0] == event.raw:
                # The window counts from the ACK: the keypad cannot have resent in answer to it earlier.
                self._last_copy[event.address] = (event.raw, max(last[1], time.monotonic()))
            if not self.transport.send(ack):
                self._unsent[key] = ack  # sent when the line is back
                return
        self.counters.acks += 1

    def release_press(self, event: KeyEvent) -> None:
        """``event``'s operation failed and nothing was committed: no ACK, and the keypad's resend is
        taken as a new press (not as a retransmission, nor debounced), so it is tried again."""
        key = (event.address, event.raw)
        with self._lock:
            self._unpend(key)
            last = self._last_copy.get(event.address)
            if last is not None and last[0] == event.raw:
                del self._last_copy[event.address]
            self._last_accepted.pop(event.key, None)
        self.counters.released += 1

    def _unpend(self, key: tuple[int, bytes]) -> bytes | None:
        """One press of ``key`` is no longer awaited: its ACK (None if none was). Under the lock."""
        entry = self._pending.pop(key, None)
        if entry is None:
            return None
        ack, n = entry
        if n > 1:
            self._pending[key] = (ack, n - 1)
        return ack

    def remember_committed(self, address: int, raw: bytes, committed_at: float) -> None:
        """At start: ``raw`` from ``address`` was committed at wall-clock ``committed_at`` (the engine's
        record). A resend of it within the retransmit window of that moment is answered, not acted on."""
        age = max(0.0, time.time() - committed_at)
        with self._lock:
            self._last_copy.setdefault(address, (raw, time.monotonic() - age))

    def pending(self) -> int:
        """Presses handed on and not yet acknowledged (awaiting their commit)."""
        with self._lock:
            return sum(n for _, n in self._pending.values()) + len(self._unsent)

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
