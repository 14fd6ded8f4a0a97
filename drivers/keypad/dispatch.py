"""Key events → window operations on the engine, and engine notifications → keypad displays.

Each bus gets one dispatch worker thread fed by a queue: engine calls (which commit to the database and
may take milliseconds) never run on the serial reader thread, and events from one bus are applied in the
order they were pressed. Staff keys call the very same engine methods the touch screen's software caller
uses, so there is one code path for "call". A press is acknowledged to its keypad when the engine call
has returned, i.e. committed (``KeypadBus.acknowledge_press``); its frame is kept in the same transaction
(``WindowOps.recording_press``) so a resend after a restart is recognised.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.engine.notices import Notice, NoticeKind
from sync.contract.enums import Outcome, WindowStatus

from .bus import BusHealth, KeypadBus
from .events import KeyEvent, KeyKind, StaffAction
from .settings import KeypadSettings
from .transport import LinkState

log = logging.getLogger(__name__)


class WindowOps(Protocol):
    """What the keypads need of the queue engine (``kiosk.engine`` satisfies it)."""

    def call_next(self, window: int) -> object: ...
    def recall(self, window: int) -> object: ...
    def no_show(self, window: int, requeue: bool = False) -> object: ...
    def hold(self, window: int) -> object: ...
    def call_held(self, window: int) -> object: ...
    def finish(self, window: int, outcome: str = Outcome.COMPLETED) -> object: ...
    def pause(self, window: int) -> object: ...
    def resume(self, window: int) -> object: ...
    def window_status(self, window: int) -> WindowStatus: ...
    def press_rating_key(self, window: int, key_index: int) -> object: ...
    def waiting_count(self, window: int) -> int: ...
    def recording_press(self, bus: str, address: int, frame: bytes) -> AbstractContextManager[None]:
        """Operations called inside the block keep ``frame`` as the keypad's last committed frame, in
        their own transaction."""
        ...

    def committed_keypad_frames(self) -> Iterable[CommittedFrame]:
        """Each keypad's last committed frame (read once at start)."""
        ...


class CommittedFrame(Protocol):
    """What the engine kept of a keypad's last committed press (``kiosk.engine.keypad_presses``)."""

    @property
    def frame(self) -> Any: ...  # .bus, .address, .frame (bytes)

    @property
    def committed_at(self) -> float: ...  # time.time() of the commit


def is_domain_error(exc: BaseException) -> bool:
    """True for the engine's "that transition is impossible" errors (``kiosk.engine.errors.DomainError``)."""
    if any(cls.__name__ == "DomainError" for cls in type(exc).__mro__):
        return True
    try:
        from kiosk.engine.errors import DomainError  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    return isinstance(exc, DomainError)


@dataclass
class _Display:
    number: str | None = None
    waiting: int | None = None


@dataclass(frozen=True)
class Applied:
    """What became of one key event (for the audit log, tests and the latency bench)."""

    event: KeyEvent
    window: int
    operation: str
    result: object = None
    error: BaseException | None = None
    finished_at: float = 0.0  # time.monotonic() after the engine call returned (row committed)
    started_at: float = 0.0  # time.monotonic() just before the engine call


@dataclass
class DispatchCounters:
    applied: int = 0
    domain_errors: int = 0
    failures: int = 0
    no_op: int = 0


_STOP = object()


class KeypadDispatcher:
    """Routes events from several buses to the engine and keeps every keypad display current."""

    def __init__(
        self,
        ops: WindowOps,
        buses: Iterable[KeypadBus],
        settings: KeypadSettings | None = None,
        *,
        on_applied: Callable[[Applied], None] | None = None,
        on_silent: Callable[[str, int, int, bool], None] | None = None,
        silence_check_s: float = 1.0,
    ) -> None:
        self.ops = ops
        self.settings = settings or KeypadSettings()
        self.buses = list(buses)
        self.on_applied = on_applied
        self.on_silent = on_silent
        """``on_silent(bus, address, window, silent)``: a keypad went silent (True) or was heard again."""
        self.counters = DispatchCounters()
        self._silence_check_s = silence_check_s
        self._lock = threading.Lock()
        self._display: dict[int, _Display] = {}
        # window -> [(bus, address, role)]
        self._keypads: dict[int, list[tuple[KeypadBus, int, str]]] = {}
        self._queues: dict[str, queue.Queue[object]] = {}
        self._workers: list[threading.Thread] = []
        for bus in self.buses:
            for k in bus.settings.keypads:
                self._keypads.setdefault(k.window, []).append((bus, k.address, k.role))
            self._queues[bus.name] = queue.Queue()
            bus.on_event = self._enqueue
            bus.on_state = self._on_bus_state
            bus.defer_acks = True  # this dispatcher acknowledges each press once it is committed

    @classmethod
    def from_settings(cls, ops: WindowOps, settings: KeypadSettings, **kwargs: Any) -> KeypadDispatcher:
        """One :class:`KeypadBus` per configured line, all feeding one dispatcher."""
        return cls(ops, [KeypadBus(b) for b in settings.buses], settings, **kwargs)

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        by_name = {b.name: b for b in self.buses}
        for committed in self.ops.committed_keypad_frames():
            f = committed.frame
            bus = by_name.get(f.bus)
            if bus is not None:
                bus.remember_committed(f.address, f.frame, committed.committed_at)
        for bus in self.buses:
            name = f"keypad-dispatch-{bus.name}"
            t = threading.Thread(target=self._work, args=(bus,), name=name, daemon=True)
            self._workers.append(t)
            t.start()
        for bus in self.buses:
            bus.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Apply (and acknowledge) the presses already queued, then stop the lines. A press read after
        this began is neither applied nor acknowledged: its keypad resends it to the next start."""
        for q in self._queues.values():
            q.put(_STOP)
        for t in self._workers:
            t.join(timeout)
        self._workers.clear()
        for bus in self.buses:
            bus.stop()

    def health(self) -> list[BusHealth]:
        """One snapshot per bus for the staff screen (state, last error, keypads with last-seen time)."""
        return [bus.health() for bus in self.buses]

    def window_of(self, bus: str, address: int) -> int | None:
        for b in self.buses:
            if b.name == bus:
                return b.windows.get(address)
        return None

    # -- engine notifications (any thread; never blocks) ----------------------------------------------
    def on_notice(self, notice: Notice) -> None:
        """The engine's notice after a committed change (``kind``, ``window``, ``number``), whoever made
        it: a keypad, the touch screen's software caller or anything else."""
        if notice.window is None:
            return
        if notice.kind == NoticeKind.CALLED and notice.number is not None:
            self.on_called(notice.window, notice.number)
        elif notice.kind == NoticeKind.FINISHED:
            self.on_finished(notice.window)
        elif notice.kind in ("no_show", "held", "transferred"):
            self.on_number_gone(notice.window)

    def on_number_gone(self, window: int) -> None:
        """The called resident left the window (no-show, held, transferred): the keypad must not keep
        showing their number as if they were still being served."""
        with self._lock:
            d = self._display.setdefault(window, _Display())
            d.number = None
            waiting = d.waiting
        self._show(window, None, waiting)

    def on_called(self, window: int, number: str) -> None:
        """A ticket was called at ``window`` (by a keypad, the touch screen or anything else)."""
        with self._lock:
            d = self._display.setdefault(window, _Display())
            d.number = number
            frame_args = (number, d.waiting) if self.settings.display == "combined" else (number, None)
        self._show(window, *frame_args)

    def on_finished(self, window: int) -> None:
        """A service at ``window`` ended and its rating slot is open (finished on a keypad or on the
        touch screen's software caller alike): invite the resident to rate on the window's keypad."""
        for bus, address, role in self._keypads.get(window, []):
            if role != "caller":
                bus.send(bus.protocol.start_evaluation(address))

    def on_waiting_changed(self, window: int, count: int) -> None:
        with self._lock:
            d = self._display.setdefault(window, _Display())
            if d.waiting == count:
                return
            d.waiting = count
            frame_args = (d.number, count) if self.settings.display == "combined" else (None, count)
        self._show(window, *frame_args)

    def resend_displays(self, bus: KeypadBus) -> None:
        """Send every window's display state on ``bus`` again (after the line came back)."""
        with self._lock:
            states = {w: _Display(d.number, d.waiting) for w, d in self._display.items()}
        for window, d in states.items():
            for b, address, role in self._keypads.get(window, []):
                if b is bus and role != "evaluator":
                    number, waiting = d.number, d.waiting
                    if self.settings.display == "separate" and number is not None:
                        waiting = None
                    bus.send(bus.protocol.display(address, number, waiting))

    def _show(self, window: int, number: str | None, waiting: int | None) -> None:
        for bus, address, role in self._keypads.get(window, []):
            if role != "evaluator":
                bus.send(bus.protocol.display(address, number, waiting))

    def _on_bus_state(self, bus: KeypadBus, state: LinkState) -> None:
        if state is LinkState.UP:
            self.resend_displays(bus)

    # -- events ---------------------------------------------------------------------------------------
    def _enqueue(self, event: KeyEvent) -> None:
        self._queues[event.bus].put(event)

    def _work(self, bus: KeypadBus) -> None:
        q = self._queues[bus.name]
        while True:
            try:
                item = q.get(timeout=self._silence_check_s)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            if isinstance(item, KeyEvent):
                self._apply(bus, item)
            self._report_silence(bus)

    def _report_silence(self, bus: KeypadBus) -> None:
        went, back = bus.check_silence()
        if self.on_silent is not None:
            for address, silent in [(a, True) for a in went] + [(a, False) for a in back]:
                self.on_silent(bus.name, address, bus.windows[address], silent)

    def _apply(self, bus: KeypadBus, event: KeyEvent) -> None:
        window = bus.windows[event.address]
        op, call = self._operation(window, event)
        result, error = None, None
        started = time.monotonic()
        try:
            with self.ops.recording_press(bus.name, event.address, event.raw):
                result = call()
        except Exception as exc:
            error = exc
            if is_domain_error(exc):
                # Refused is final: acknowledged (the keypad stops resending), then the beep.
                self.counters.domain_errors += 1
                log.info("keypad %s refused at window %d: %s", event.describe(), window, exc)
                bus.acknowledge_press(event)
            else:
                # Nothing committed: no ACK, so the keypad resends and the press is tried again.
                self.counters.failures += 1
                log.exception("keypad %s at window %d failed", event.describe(), window)
                bus.release_press(event)
            bus.send(bus.protocol.beep(event.address))
        else:
            bus.acknowledge_press(event)  # committed: now the keypad may forget it
            if op == "none":
                self.counters.no_op += 1
            else:
                self.counters.applied += 1
        if self.on_applied is not None:
            try:
                self.on_applied(Applied(event, window, op, result, error, time.monotonic(), started))
            except Exception:
                log.exception("keypad on_applied listener failed")

    def _operation(self, window: int, event: KeyEvent) -> tuple[str, Callable[[], object]]:
        """The engine operation a key means, named, and not yet called."""
        ops, s = self.ops, self.settings
        if event.kind is KeyKind.RATING:
            key = event.key_index if event.key_index is not None else -1
            return "press_rating_key", lambda: ops.press_rating_key(window, key)
        match event.action:
            case StaffAction.CALL_NEXT:
                return "call_next", lambda: ops.call_next(window)
            case StaffAction.RECALL:
                return "recall", lambda: ops.recall(window)
            case StaffAction.REQUEST_RATING:
                return "finish", lambda: ops.finish(window, s.completed_outcome)
            case StaffAction.TRANSFER:
                return "finish", lambda: ops.finish(window, s.transfer_outcome)
            case StaffAction.NO_SHOW:
                return "no_show", lambda: ops.no_show(window, requeue=False)
            case StaffAction.HOLD:
                return "hold", lambda: ops.hold(window)
            case StaffAction.CALL_HELD:
                return "call_held", lambda: ops.call_held(window)
            case StaffAction.PAUSE:
                # One key toggles; the engine's own status decides which way, so a missed frame
                # can never leave the keypad and the engine disagreeing for long.
                return (
                    "pause/resume",
                    lambda: (
                        ops.resume(window)
                        if ops.window_status(window) == WindowStatus.PAUSED
                        else ops.pause(window)
                    ),
                )
            case _:
                # CANCEL clears the keypad's own input; the engine has nothing to undo.
                return "none", lambda: None
