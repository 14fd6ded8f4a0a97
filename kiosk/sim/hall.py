"""The orchestrator's event loop: simulated instants in a heap, each run when the shared clock gets there.

Every action that touches the kiosk goes through `Hall.call` (the kiosk child's command channel); while
the kiosk is down (killed, not yet restarted) calls return None and the caller tries again later, like
a resident in front of a dark screen or a clerk whose keypad does not answer.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import local
from kiosk.sim.clock import SharedClock
from kiosk.sim.procs import ChildGone, KioskProcess

MIN_SAME_KEY_GAP_S = 0.45
"""Real seconds between two presses of the same key on the same keypad. The bus drops a repeat within
its debounce interval (a double press) and treats a byte-identical frame within its retransmit window
as the device resending; those are real-time windows, so at speed 300 this gap is 2¼ simulated
minutes. Presses that would come sooner wait (counted as `spacing_delays`)."""

STAFF_RETRY_S = 30.0
"""Simulated seconds a clerk waits before pressing again when the keypad or kiosk does not answer."""


@dataclass
class Ledger:
    """What the simulated residents and staff did and were told: checked against both databases."""

    issued: dict[str, dict[str, Any]] = field(default_factory=dict)
    double_taps: int = 0
    double_tap_mismatch: list[str] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    arrivals_delayed: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)
    finished: dict[str, dict[str, Any]] = field(default_factory=dict)
    no_shows: list[str] = field(default_factory=list)
    presses: list[dict[str, Any]] = field(default_factory=list)
    spacing_delays: int = 0
    staff_retries: int = 0
    unexpected: list[str] = field(default_factory=list)
    timeline: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Reply:
    data: dict[str, Any] | None
    retry_at: dt.datetime | None = None

    @property
    def error(self) -> str | None:
        if self.data is None:
            return "kiosk_down"
        err = self.data.get("error")
        return None if err is None else str(err)


class Hall:
    def __init__(self, config: HallConfig, clock: SharedClock, kiosk: KioskProcess, speed: float):
        self.config = config
        self.clock = clock
        self.kiosk = kiosk
        self.speed = speed
        self.ledger = Ledger()
        self._heap: list[tuple[dt.datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._last_press: dict[tuple[int, str], float] = {}
        self.kiosk_up = True
        self.trace: list[dict[str, Any]] = []
        self.collect_taps: Callable[[float], None] = lambda wait: None
        """Fetch the tickets of taps the kiosk has handled (set by `Residents`)."""
        self.pending_tap: Callable[[], None] | None = None
        """Sends the tap that is in flight when the power is cut (then the kiosk is killed)."""
        self.dissatisfied_owed = True
        """Until one 差评 is recorded, every resident who rates is dissatisfied, so each simulated day
        exercises the 回访/整改 path (the weights alone may well give none in a short day)."""

    # ---- the loop ---------------------------------------------------------------------------------
    def at(self, instant: dt.datetime, fn: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._heap, (instant, next(self._seq), fn, args))

    def after(self, seconds: float, fn: Callable[..., None], *args: Any) -> None:
        self.at(self.now() + dt.timedelta(seconds=seconds), fn, *args)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def run_until(self, end: dt.datetime) -> None:
        while self._heap and self._heap[0][0] <= end:
            instant, _, fn, args = heapq.heappop(self._heap)
            self.clock.sleep_until(instant)
            fn(*args)
        self.clock.sleep_until(end)

    def note(self, text: str) -> None:
        self.ledger.timeline.append((local(self.now(), self.config.timezone).strftime("%H:%M:%S"), text))

    # ---- talking to the kiosk ---------------------------------------------------------------------------
    def call(self, cmd: dict[str, Any], timeout: float = 60) -> dict[str, Any] | None:
        if not self.kiosk_up:
            return None
        t0 = time.monotonic()
        try:
            reply = self.kiosk.call(cmd, timeout)
            self.trace.append(
                {
                    "at": local(self.now(), self.config.timezone).strftime("%H:%M:%S"),
                    "real_ms": round((time.monotonic() - t0) * 1000),
                    "cmd": {k: v for k, v in cmd.items() if k not in ("request_id",)},
                    "reply": {
                        k: reply[k]
                        for k in ("error", "operation", "number", "created", "outcome")
                        if k in reply
                    },
                }
            )
            return reply
        except ChildGone as exc:
            self.ledger.unexpected.append(f"kiosk stopped answering: {exc}")
            self.kiosk_up = False
            return None

    def _spaced(self, address: int, key: str) -> dt.datetime | None:
        """None if the key may be pressed now, else the simulated instant it may."""
        last = self._last_press.get((address, key))
        if last is None:
            return None
        wait = MIN_SAME_KEY_GAP_S - (time.monotonic() - last)
        if wait <= 0:
            return None
        self.ledger.spacing_delays += 1
        return self.now() + dt.timedelta(seconds=wait * self.speed + 1)

    def _retry(self) -> Reply:
        self.ledger.staff_retries += 1
        return Reply(None, self.now() + dt.timedelta(seconds=STAFF_RETRY_S))

    def press_staff(self, address: int, action: str) -> Reply:
        later = self._spaced(address, action)
        if later is not None:
            return Reply(None, later)
        reply = self.call({"op": "press_staff", "address": address, "action": action})
        self._last_press[(address, action)] = time.monotonic()
        if reply is None or reply.get("error") in ("bus_down", "no_answer"):
            return self._retry()
        return Reply(reply)

    def press_rating(self, address: int, key: int, spaced: bool = True) -> Reply:
        if spaced:
            later = self._spaced(address, f"rating-{key}")
            if later is not None:
                return Reply(None, later)
        reply = self.call({"op": "press_rating", "address": address, "key": key})
        self._last_press[(address, f"rating-{key}")] = time.monotonic()
        return Reply(reply)

    def window_op(self, name: str, window: int, *args: Any) -> Reply:
        reply = self.call({"op": "window_op", "name": name, "window": window, "args": list(args)})
        if reply is None:
            return self._retry()
        return Reply(reply)

    def status(self) -> dict[str, Any] | None:
        return self.call({"op": "status"})
