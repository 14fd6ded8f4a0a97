"""A slow engine never holds up the line: while one keypad's press waits for its commit (and so for its
ACK), the reader keeps serving the others; presses already handed on are applied even if the line drops,
and their ACKs go out when it is back; notifications from the UI thread never block. Ordering only — no
timing assertions."""

from __future__ import annotations

import threading

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import KeypadDispatcher
from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import CMD_DISPLAY, CMD_RATING_ACK
from drivers.keypad.frames import encode
from drivers.keypad.settings import KeypadBusSettings
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.keypad.transport import LinkState
from tests.keypad.demo import main as demo_main
from tests.keypad.memory_ops import InMemoryWindows

from .conftest import wait_until


class SlowWindows(InMemoryWindows):
    """call_next blocks until released, as a commit stuck on a slow disk would."""

    def __init__(self) -> None:
        super().__init__([1, 2])
        self.entered = threading.Event()
        self.release = threading.Event()

    def call_next(self, window: int) -> str:
        self.entered.set()
        assert self.release.wait(30)
        return super().call_next(window)


def test_a_press_waiting_for_its_commit_holds_up_no_other_keypad(sim: SimulatedKeypadBus) -> None:
    windows = SlowWindows()
    windows.issue(3)
    settings = KeypadBusSettings(
        name="a",
        url=sim.url,
        reconnect_initial_s=0.05,
        keypads=[
            {"address": 1, "window": 1},  # type: ignore[list-item]
            {"address": 2, "window": 2},
        ],
    )
    bus = KeypadBus(settings)
    dispatcher = KeypadDispatcher(windows, [bus])
    windows.subscribe(dispatcher.on_called, dispatcher.on_waiting_changed, dispatcher.on_finished)
    dispatcher.start()
    call_1 = sim.protocol.key_frame(1, StaffAction.CALL_NEXT)
    try:
        assert wait_until(lambda: bus.state is LinkState.UP)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        assert windows.entered.wait(10)  # the worker is now stuck inside the engine
        sim.press_staff(1, StaffAction.CALL_NEXT)  # keypad 1 heard no ACK and resends
        sim.press_rating(2, 3)  # keypad 2: a press of its own, queued behind keypad 1's
        unknown = encode(2, 0x00, b"\x77")  # a key the bus does not know: nothing to commit
        sim.send(unknown)
        # the reader is not held up: keypad 2's unknown key is answered, the UI's display goes out
        assert sim.wait_for(lambda f: f.address == 2 and f.raw == unknown)
        dispatcher.on_called(2, "A099")  # from the UI thread: returns without waiting
        assert sim.wait_for(lambda f: f.address == 2 and f.command == CMD_DISPLAY)
        assert wait_until(lambda: bus.counters.resent_pending == 1)
        # ... but nothing is acknowledged that is not committed
        assert sim.acks(1) == []
        assert [f for f in sim.acks(2) if f.command == CMD_RATING_ACK] == []
        sim.unplug()  # the adapter goes away with both presses still waiting for their commit
        assert wait_until(lambda: bus.state is not LinkState.UP)
        windows.release.set()
        assert wait_until(lambda: bus.pending() == 2 and windows.ignored_ratings == 1)
        assert windows.current[1] == "A001"  # applied once, though sent twice
        assert windows.ratings == []  # window 2 had no open slot: counted, nowhere recorded
        n0 = len(sim.received)
        sim.replug()
        # committed while the line was down: both ACKs go out once it is back, in the order pressed
        assert wait_until(lambda: bus.pending() == 0)
        assert sim.wait_for(lambda f: f.address == 2 and f.command == CMD_RATING_ACK, since=n0)
        acks = [f.raw for _, f in sim.received[n0:] if f.command != CMD_DISPLAY]
        assert acks == [call_1, encode(2, CMD_RATING_ACK, b"\x03")]
        assert bus.counters.late_acks == 2
    finally:
        windows.release.set()
        dispatcher.stop()


def test_demo_runs(tmp_path, capsys) -> None:
    demo_main(["--seconds", "1.5", "--speed", "20", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "simulated keypad bus" in out and '"ratings"' in out
