"""A small in-memory stand-in for the queue engine: the simulator demo and driver tests run on it.

It keeps the rules that matter to keypads: one current ticket per window, ``finish`` opens the window's
rating slot, the next call closes it, one rating per service (a second or late press is counted as
ignored, never raises), impossible transitions raise ``DomainError``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from kiosk.engine.keypad_presses import CommittedFrame, KeypadFrame
from sync.contract.enums import Outcome, WindowStatus


class DomainError(Exception):
    """An impossible transition (same name as the engine's, so the dispatcher treats it alike)."""


@dataclass(frozen=True)
class RatingResult:
    accepted: bool
    ticket: str | None
    reason: str = ""


class InMemoryWindows:
    """Satisfies :class:`~drivers.keypad.dispatch.WindowOps`; records every call in ``calls``."""

    def __init__(self, windows: Iterable[int], prefix: str = "A") -> None:
        self._lock = threading.RLock()
        self.windows = list(windows)
        self.prefix = prefix
        self.waiting: list[str] = []
        self.current: dict[int, str | None] = {w: None for w in self.windows}
        self.rating_slot: dict[int, str | None] = {w: None for w in self.windows}
        self.held: dict[int, list[str]] = {w: [] for w in self.windows}
        self.status: dict[int, WindowStatus] = {w: WindowStatus.OPEN for w in self.windows}
        self.ratings: list[tuple[int, str, int]] = []
        self.ignored_ratings = 0
        self.finished: list[tuple[int, str, str]] = []
        self.calls: list[tuple[object, ...]] = []
        self.called_listeners: list[Callable[[int, str], None]] = []
        self.waiting_listeners: list[Callable[[int, int], None]] = []
        self.finished_listeners: list[Callable[[int], None]] = []
        self._seq = 0
        self.committed_frames: dict[tuple[str, int], CommittedFrame] = {}
        """Each keypad's last frame whose operation returned (the engine keeps it in the database)."""

    def subscribe(
        self,
        on_called: Callable[[int, str], None],
        on_waiting: Callable[[int, int], None],
        on_finished: Callable[[int], None] | None = None,
    ) -> None:
        self.called_listeners.append(on_called)
        self.waiting_listeners.append(on_waiting)
        if on_finished is not None:
            self.finished_listeners.append(on_finished)

    def issue(self, n: int = 1) -> list[str]:
        with self._lock:
            out = []
            for _ in range(n):
                self._seq += 1
                out.append(f"{self.prefix}{self._seq:03d}")
            self.waiting.extend(out)
        self._notify_waiting()
        return out

    def _check(self, window: int) -> None:
        if window not in self.current:
            raise DomainError(f"no window {window}")

    def _notify_called(self, window: int, number: str) -> None:
        for f in self.called_listeners:
            f(window, number)

    def _notify_waiting(self) -> None:
        count = len(self.waiting)
        for w in self.windows:
            for f in self.waiting_listeners:
                f(w, count)

    def call_next(self, window: int) -> str:
        with self._lock:
            self.calls.append(("call_next", window))
            self._check(window)
            if self.status[window] == WindowStatus.PAUSED:
                raise DomainError(f"window {window} is paused")
            if not self.waiting:
                raise DomainError("nobody is waiting")
            if self.current[window] is not None:
                self.finished.append((window, self.current[window] or "", Outcome.COMPLETED))
            number = self.waiting.pop(0)
            self.current[window] = number
            self.rating_slot[window] = None  # the previous resident's chance to rate ends here
        self._notify_called(window, number)
        self._notify_waiting()
        return number

    def recall(self, window: int) -> str:
        with self._lock:
            self.calls.append(("recall", window))
            self._check(window)
            number = self.current[window]
            if number is None:
                raise DomainError("nobody to recall")
        self._notify_called(window, number)
        return number

    def no_show(self, window: int, requeue: bool = False) -> None:
        with self._lock:
            self.calls.append(("no_show", window, requeue))
            self._check(window)
            number = self.current[window]
            if number is None:
                raise DomainError("nobody called")
            self.current[window] = None
            if requeue:
                self.waiting.append(number)

    def hold(self, window: int) -> None:
        with self._lock:
            self.calls.append(("hold", window))
            self._check(window)
            number = self.current[window]
            if number is None:
                raise DomainError("nobody called")
            self.held[window].append(number)
            self.current[window] = None

    def call_held(self, window: int) -> str:
        with self._lock:
            self.calls.append(("call_held", window))
            self._check(window)
            if not self.held[window]:
                raise DomainError("nothing held")
            number = self.held[window].pop(0)
            self.current[window] = number
            self.rating_slot[window] = None
        self._notify_called(window, number)
        return number

    def finish(self, window: int, outcome: str = Outcome.COMPLETED) -> str:
        with self._lock:
            self.calls.append(("finish", window, outcome))
            self._check(window)
            number = self.current[window]
            if number is None:
                raise DomainError("nobody being served")
            self.finished.append((window, number, outcome))
            self.current[window] = None
            self.rating_slot[window] = number
        for f in self.finished_listeners:
            f(window)
        return number

    def pause(self, window: int) -> None:
        with self._lock:
            self.calls.append(("pause", window))
            self._check(window)
            self.status[window] = WindowStatus.PAUSED

    def resume(self, window: int) -> None:
        with self._lock:
            self.calls.append(("resume", window))
            self._check(window)
            self.status[window] = WindowStatus.OPEN

    def window_status(self, window: int) -> WindowStatus:
        with self._lock:
            self._check(window)
            return self.status[window]

    def press_rating_key(self, window: int, key_index: int) -> RatingResult:
        with self._lock:
            self.calls.append(("press_rating_key", window, key_index))
            number = self.rating_slot.get(window)
            if number is None:
                self.ignored_ratings += 1
                return RatingResult(False, None, "no open rating slot")
            self.rating_slot[window] = None  # one rating per service
            self.ratings.append((window, number, key_index))
            return RatingResult(True, number)

    def waiting_count(self, window: int) -> int:
        with self._lock:
            return len(self.waiting)

    @contextlib.contextmanager
    def recording_press(self, bus: str, address: int, frame: bytes) -> Iterator[None]:
        yield  # an operation that raised leaves no record, as a rolled-back transaction
        with self._lock:
            self.committed_frames[(bus, address)] = CommittedFrame(
                KeypadFrame(bus, address, frame), time.time()
            )

    def committed_keypad_frames(self) -> list[CommittedFrame]:
        with self._lock:
            return list(self.committed_frames.values())
