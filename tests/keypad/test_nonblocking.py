"""A slow engine never delays reading and acknowledging; acknowledged presses are applied even if the
line drops; notifications from the UI thread never block. Ordering only — no timing assertions."""

from __future__ import annotations

import threading

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import KeypadDispatcher
from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import CMD_RATING_ACK
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


def test_slow_engine_does_not_delay_acks_and_acked_presses_survive_unplug(sim: SimulatedKeypadBus) -> None:
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
    try:
        assert wait_until(lambda: bus.state is LinkState.UP)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        assert windows.entered.wait(10)  # the worker is now stuck inside the engine
        sim.press_rating(2, 3)
        # the reader still acknowledges at once, while the engine call has not returned
        assert sim.wait_for(lambda f: f.address == 2 and f.command == CMD_RATING_ACK)
        sim.press_staff(2, StaffAction.CALL_NEXT)
        assert sim.wait_for(lambda f: f.address == 2 and f.data == StaffAction.CALL_NEXT.value)
        # the UI thread tells the dispatcher about a call: returns without waiting for anything
        dispatcher.on_called(1, "A099")
        dispatcher.on_waiting_changed(1, 7)
        sim.unplug()  # the adapter goes away with two acknowledged presses still queued
        assert wait_until(lambda: bus.state is not LinkState.UP)
        windows.release.set()
        assert wait_until(lambda: windows.current[2] is not None)
        assert windows.current[1] == "A001" and windows.current[2] == "A002"
        assert windows.ignored_ratings == 1  # window 2 had no open slot: counted, nowhere recorded
        assert windows.ratings == []
    finally:
        windows.release.set()
        dispatcher.stop()


def test_demo_runs(tmp_path, capsys) -> None:
    demo_main(["--seconds", "1.5", "--speed", "20", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "simulated keypad bus" in out and '"ratings"' in out
