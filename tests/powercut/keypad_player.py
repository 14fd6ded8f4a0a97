"""The power-cut worker's keypads: key presses reach the engine over a real pty, the real keypad bus
driver and dispatcher, and a press counts as acknowledged only when its ACK frame is read back on the
keypad's side of the line — what a keypad on the counter would see. Like a keypad that hears no ACK,
the player resends the frame until it is answered.

Test-only (tests/powercut/): the crash worker uses it with ``--keypads``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import Applied, KeypadDispatcher
from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import FF68Protocol
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.keypad.transport import LinkState
from kiosk.config.schema import HallConfig
from kiosk.engine.engine import QueueEngine

RETRY_S = 0.2
"""How long the player waits for an ACK before resending (keypads: a few hundred ms)."""
GIVE_UP_S = 20.0


class KeypadPlayer:
    def __init__(
        self, engine: QueueEngine, config: HallConfig, directory: Path, report: Callable[[str], None]
    ) -> None:
        self.report = report
        """Gets "A ADDRESS new|resend" the moment a press's ACK is read on the line."""
        self.protocol = FF68Protocol()
        self.sim = SimulatedKeypadBus(directory, retry_s=RETRY_S)
        self.sim.replug()
        (settings,) = config.keypad_buses()
        # No debounce and a window just over the retry interval: the worker presses fast, and a
        # second identical press must be a press of its own unless it is a resend.
        settings = settings.model_copy(
            update={
                "url": self.sim.url,
                "reconnect_initial_s": 0.05,
                "debounce_ms": 0,
                "retransmit_window_ms": int(RETRY_S * 1000) + 100,
            }
        )
        self.bus = KeypadBus(settings)
        self._cond = threading.Condition()
        self._applied: list[Applied] = []
        self.dispatcher = KeypadDispatcher(engine, [self.bus], on_applied=self._on_applied)
        engine.subscribe(self.dispatcher.on_notice)  # displays and start-evaluation, as in the kiosk
        self.dispatcher.start()
        deadline = time.monotonic() + 10
        while self.bus.state is not LinkState.UP:
            if time.monotonic() > deadline:
                raise RuntimeError("the keypad bus did not come up")
            time.sleep(0.005)

    def _on_applied(self, applied: Applied) -> None:
        with self._cond:
            self._applied.append(applied)
            self._cond.notify_all()

    def staff(self, window: int, action: StaffAction) -> tuple[bool, Applied | None]:
        return self._press(self.protocol.key_frame(window, action))

    def rating(self, window: int, key: int) -> tuple[bool, Applied | None]:
        return self._press(self.protocol.rating_frame(window, key))

    def _press(self, raw: bytes) -> tuple[bool, Applied | None]:
        """(acknowledged, what the engine did with it: None when the bus took it for a resend)."""
        (frame,) = self.protocol.new_parser().feed(raw)
        ack = self.protocol.ack(frame)
        events, n_applied = self.bus.counters.events, len(self._applied)
        since = len(self.sim.received)
        deadline = time.monotonic() + GIVE_UP_S
        while True:
            self.sim.send(raw)
            if self.sim.wait_for(lambda f: f.raw == ack, timeout=RETRY_S, since=since) is not None:
                break
            if time.monotonic() > deadline:
                return False, None
        # Acknowledged on the wire. One press at a time: a new event is this one's. Said at once, before
        # anything else is waited for: from here on the keypad has forgotten the press.
        new = self.bus.counters.events != events
        self.report(f"A {frame.address} {'new' if new else 'resend'}")
        if not new:
            return True, None
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._applied) > n_applied, timeout=GIVE_UP_S):
                raise AssertionError(f"acknowledged press {raw.hex()} was never reported applied")
            return True, self._applied[n_applied]

    def close(self) -> None:
        """Stop every thread (the zygote forks after its warm-up run: no thread may survive it)."""
        self.dispatcher.stop()
        self.sim.close()


def describe(applied: Applied | None) -> str:
    """The worker's line for an acknowledged press: what the check after the cut can look for."""
    if applied is None:
        return "K - resend"  # taken for a resend of the previous press: acknowledged, nothing new
    result: Any = applied.result
    if applied.error is not None:
        return "K - refused"  # refused by the engine (e.g. nobody waiting): nothing to survive
    if applied.operation == "call_next" or applied.operation == "call_held":
        return f"K H {result.handling_id}"
    if applied.operation == "finish":
        return f"K F {result['handling_id']} {result['rating_id']}"
    if applied.operation == "press_rating_key":
        if result.accepted:
            return f"K R {result.rating_id} {result.level}"
        return f"K I {result.window} {result.reason}"
    return f"K - {applied.operation}"
