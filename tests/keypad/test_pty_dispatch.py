"""The whole driver over a real pty pair: simulator keypads → bus → dispatcher → window operations.

The engine here is the in-package ``InMemoryWindows`` stand-in; test_end_to_end.py runs the same path
against the real engine and a SQLite file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import Applied, KeypadDispatcher
from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import CMD_BEEP, CMD_DISPLAY, CMD_RATING_ACK
from drivers.keypad.settings import KeypadBusSettings, KeypadSettings
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.keypad.transport import LinkState
from tests.keypad.memory_ops import InMemoryWindows

from .conftest import wait_until

FAST = {"reconnect_initial_s": 0.05, "reconnect_max_s": 0.4}


class Rig:
    def __init__(self, sims: dict[str, SimulatedKeypadBus], windows: InMemoryWindows, **bus_kw: Any) -> None:
        layout = bus_kw.pop("layout", None) or {name: {1: 1, 2: 2} for name in sims}
        silence_check_s = bus_kw.pop("silence_check_s", 1.0)
        bus_kw.pop("key_map", None)
        key_maps = bus_kw.pop("key_maps", {})
        buses = [
            KeypadBusSettings(
                name=name,
                url=sim.url,
                keypads=[{"address": a, "window": w} for a, w in layout[name].items()],  # type: ignore[misc]
                **(FAST | bus_kw | ({"key_map": key_maps[name]} if name in key_maps else {})),
            )
            for name, sim in sims.items()
        ]
        self.settings = KeypadSettings(buses=buses)
        self.windows = windows
        self.applied: list[Applied] = []
        self.silent: list[tuple[str, int, int, bool]] = []
        self.buses = [KeypadBus(b) for b in buses]
        self.dispatcher = KeypadDispatcher(
            windows,
            self.buses,
            self.settings,
            on_applied=self.applied.append,
            on_silent=lambda *a: self.silent.append(a),
            silence_check_s=silence_check_s,
        )
        windows.subscribe(
            self.dispatcher.on_called, self.dispatcher.on_waiting_changed, self.dispatcher.on_finished
        )

    def up(self) -> bool:
        return all(b.state is LinkState.UP for b in self.buses)


@contextmanager
def rig(sims: dict[str, SimulatedKeypadBus], n_windows: int = 2, **kw: Any) -> Iterator[Rig]:
    r = Rig(sims, InMemoryWindows(range(1, n_windows + 1)), **kw)
    r.dispatcher.start()
    try:
        assert wait_until(r.up), [b.health() for b in r.buses]
        yield r
    finally:
        r.dispatcher.stop()


def test_call_next_shows_number_and_acknowledges(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}) as r:
        r.windows.issue(3)
        frame = sim.protocol.key_frame(1, StaffAction.CALL_NEXT)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        assert wait_until(lambda: r.windows.current[1] == "A001")
        assert sim.wait_for(lambda f: f.raw == frame) is not None  # caller key: ACK is the echo
        assert sim.wait_for(lambda f: f.command == CMD_DISPLAY and f.address == 1 and f.data[3:] == b"\0\0\1")
        assert wait_until(lambda: "  2001" in sim.displays(1))  # 2 waiting, A001 called
        # window 2's keypad shows only the waiting count (sent just after window 1's: wait for it too)
        assert wait_until(lambda: sim.displays(2)[-1:] == ["  2   "])


def test_rating_goes_to_the_window_just_finished(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}) as r:
        r.windows.issue(2)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        assert wait_until(lambda: r.windows.current[1] == "A001")
        sim.press_staff(1, StaffAction.REQUEST_RATING)
        assert sim.wait_for(lambda f: f.address == 1 and f.command == 0x01 and f.data == b"\x0b")
        sim.press_rating(1, 0)
        assert wait_until(lambda: r.windows.ratings == [(1, "A001", 0)])
        assert sim.wait_for(lambda f: f.address == 1 and f.command == CMD_RATING_ACK and f.data == b"\0")
        assert r.windows.finished == [(1, "A001", "completed")]


def test_rating_after_next_call_lands_nowhere(sim: SimulatedKeypadBus) -> None:
    # Presses follow each other faster than any hand: switch the duplicate filters off for this one.
    with rig({"a": sim}, debounce_ms=0, retransmit_window_ms=0, echo_window_ms=0) as r:
        r.windows.issue(2)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        sim.press_staff(1, StaffAction.REQUEST_RATING)
        sim.press_staff(1, StaffAction.CALL_NEXT)  # staff already called the next resident ...
        sim.press_rating(1, 4)  # ... when the previous one finally presses a key
        assert wait_until(lambda: len(r.applied) == 4)
        assert r.windows.ratings == []
        assert r.windows.ignored_ratings == 1
        assert r.windows.current[1] == "A002"


def test_second_rating_press_is_ignored_by_the_engine(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}, debounce_ms=0, retransmit_window_ms=0, echo_window_ms=0) as r:
        r.windows.issue(1)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        sim.press_staff(1, StaffAction.REQUEST_RATING)
        sim.press_rating(1, 1)
        sim.press_rating(1, 3)
        assert wait_until(lambda: len(r.applied) == 4)
        assert r.windows.ratings == [(1, "A001", 1)] and r.windows.ignored_ratings == 1


def test_double_press_counts_once(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}, debounce_ms=60_000, retransmit_window_ms=0, echo_window_ms=0) as r:
        r.windows.issue(3)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        sim.press_staff(2, StaffAction.CALL_NEXT)  # a marker: once it is applied, all before it are in
        assert wait_until(lambda: r.windows.current[2] is not None)
        assert r.windows.calls.count(("call_next", 1)) == 1
        assert r.buses[0].counters.debounced == 1
        assert wait_until(lambda: len(sim.acks(1)) == 2)  # both presses were acknowledged


def test_retransmitted_frame_counts_once(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}, debounce_ms=0, retransmit_window_ms=60_000, echo_window_ms=0) as r:
        r.windows.issue(3)
        sim.press_staff(1, StaffAction.CALL_NEXT, lose_ack=True)
        sim.press_staff(2, StaffAction.CALL_NEXT)
        assert wait_until(lambda: r.windows.current[2] is not None)
        assert r.windows.calls.count(("call_next", 1)) == 1
        assert r.buses[0].counters.retransmits == 1
        assert wait_until(lambda: len(sim.acks(1)) == 2)


def test_noise_truncated_and_corrupt_frames_are_skipped(sim: SimulatedKeypadBus) -> None:
    rng = random.Random(7)
    with rig({"a": sim}) as r:
        r.windows.issue(5)
        sim.send_noise(50, rng)
        sim.send_truncated(1, StaffAction.CALL_NEXT, keep=6)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        sim.send_bad_checksum(2, 0)
        sim.send_noise(30, rng)
        sim.press_staff(2, StaffAction.CALL_NEXT)
        assert wait_until(lambda: r.windows.current[2] is not None)
        assert [c for c in r.windows.calls if c[0] != "press_rating_key"] == [
            ("call_next", 1),
            ("call_next", 2),
        ]
        assert r.buses[0].parser.counters.bad_checksum >= 1


def test_refused_operation_beeps_and_changes_nothing(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}) as r:
        sim.press_staff(1, StaffAction.CALL_NEXT)  # nobody is waiting
        assert sim.wait_for(lambda f: f.address == 1 and f.command == CMD_BEEP)
        assert r.windows.current[1] is None
        assert r.dispatcher.counters.domain_errors == 1


def test_pause_key_toggles(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}, debounce_ms=0, retransmit_window_ms=0, echo_window_ms=0) as r:
        sim.press_staff(1, StaffAction.PAUSE)
        assert wait_until(lambda: r.windows.status[1] == "paused")
        sim.press_staff(1, StaffAction.PAUSE)
        assert wait_until(lambda: ("resume", 1) in r.windows.calls)
        assert r.windows.status[1] == "open"


def test_unplug_replug_reconnects_and_resends_displays(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}) as r:
        bus = r.buses[0]
        r.windows.issue(3)
        sim.press_staff(1, StaffAction.CALL_NEXT)
        assert wait_until(lambda: "  2001" in sim.displays(1))
        sim.unplug()
        assert wait_until(lambda: bus.state in (LinkState.DOWN, LinkState.RECONNECTING))
        assert bus.transport.last_error is not None
        assert {k.status for k in bus.health().keypads} == {"unknown"}
        r.windows.issue(1)  # waiting count changes while the line is down: the frame cannot be sent
        sim.replug()
        assert wait_until(lambda: bus.state is LinkState.UP)
        # every window's display state is sent again on the new port, including the change made while down
        assert sim.wait_for(
            lambda f: f.command == CMD_DISPLAY and f.address == 1 and f.data == bytes([10, 10, 3, 0, 0, 1])
        )
        assert sim.wait_for(lambda f: f.command == CMD_DISPLAY and f.address == 2)
        sim.press_staff(2, StaffAction.CALL_NEXT)
        assert wait_until(lambda: r.windows.current[2] == "A002")
        assert bus.transport.opens == 2 and bus.health().state is LinkState.UP
        assert bus.transport.last_error is None and bus.transport.failures >= 1


def test_start_with_adapter_missing_then_plugged(tmp_path) -> None:
    sim = SimulatedKeypadBus(tmp_path)  # not plugged yet: the by-id link does not exist
    r = Rig({"a": sim}, InMemoryWindows([1, 2]))
    r.dispatcher.start()
    try:
        bus = r.buses[0]
        assert wait_until(lambda: bus.state is LinkState.RECONNECTING)
        assert bus.transport.last_error is not None and bus.transport.last_error.code == "port-missing"
        sim.replug()
        assert wait_until(lambda: bus.state is LinkState.UP)
    finally:
        r.dispatcher.stop()
        sim.close()


def test_several_buses_and_keypads_map_to_their_windows(tmp_path) -> None:
    with (
        SimulatedKeypadBus(tmp_path / "x" if (tmp_path / "x").mkdir() is None else None) as east,
        SimulatedKeypadBus(tmp_path) as west,
    ):
        layout = {"east": {1: 1, 2: 2}, "west": {1: 3, 5: 4}}
        with rig({"east": east, "west": west}, n_windows=4, layout=layout) as r:
            r.windows.issue(4)
            west.press_staff(5, StaffAction.CALL_NEXT)
            assert wait_until(lambda: r.windows.current[4] == "A001")
            east.press_staff(1, StaffAction.CALL_NEXT)
            assert wait_until(lambda: r.windows.current[1] == "A002")
            west.press_staff(1, StaffAction.CALL_NEXT)
            assert wait_until(lambda: r.windows.current[3] == "A003")
            west.press_staff(9, StaffAction.CALL_NEXT)  # no window has address 9 on this bus
            east.press_staff(2, StaffAction.CALL_NEXT)
            assert wait_until(lambda: r.windows.current[2] == "A004")
            assert wait_until(lambda: r.buses[1].counters.unknown_address == 1)
            assert r.dispatcher.window_of("west", 5) == 4
            # the number shows on the keypad of the window that called, on its own bus
            assert wait_until(lambda: any(d.endswith("001") for d in west.displays(5)))
            assert not any(d.endswith("001") for d in east.displays(1) + west.displays(1))


def test_silent_keypad_reported_with_last_seen(sim: SimulatedKeypadBus) -> None:
    with rig({"a": sim}, silent_after_s=0.3, silence_check_s=0.05) as r:
        sim.press_staff(1, StaffAction.CANCEL)
        assert wait_until(lambda: ("a", 2, 2, True) in r.silent)
        health = {k.address: k for k in r.dispatcher.health()[0].keypads}
        assert health[2].status == "silent" and health[2].last_seen is None
        assert health[1].last_seen is not None
        sim.press_staff(2, StaffAction.CANCEL)
        assert wait_until(lambda: ("a", 2, 2, False) in r.silent)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_behaviour_never_breaks_the_driver(sim: SimulatedKeypadBus, seed: int) -> None:
    with rig({"a": sim}) as r:
        r.windows.issue(50)
        sim.start_random([1, 2], seed=seed, speed=40.0, noise=0.3)
        assert wait_until(lambda: len(r.applied) >= 30, timeout=30)
        sim.stop_random()
        assert r.dispatcher.counters.failures == 0
        assert r.buses[0].counters.unknown_address == 0


def test_from_settings_and_health_snapshot(sim: SimulatedKeypadBus) -> None:
    settings = KeypadSettings(
        buses=[KeypadBusSettings(name="counter", url=sim.url, keypads=[{"address": 3, "window": 1}])]  # type: ignore[list-item]
    )
    windows = InMemoryWindows([1])
    dispatcher = KeypadDispatcher.from_settings(windows, settings)
    dispatcher.start()
    try:
        assert wait_until(lambda: dispatcher.health()[0].state is LinkState.UP)
        sim.press_staff(3, StaffAction.CANCEL)
        assert wait_until(lambda: dispatcher.health()[0].counters["acks"] == 1)
        (h,) = dispatcher.health()
        assert (h.name, h.url, h.last_error) == ("counter", sim.url, None)
        assert (h.keypads[0].address, h.keypads[0].window, h.keypads[0].status) == (3, 1, "ok")
        assert h.counters["frames_ok"] == 1 and h.counters["acks"] == 1
    finally:
        dispatcher.stop()
    assert dispatcher.health()[0].state is LinkState.STOPPED
