"""Keypads of other vendors over a real pty: caller frames with any CMD but 0x11 are acted on and
acknowledged, echoes of our own frames are recognised by content and time, host-shaped frames are
left alone, and a bus's own key map drives what a key means."""

from __future__ import annotations

import time

import pytest

from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import CMD_DISPLAY, FF68Protocol
from drivers.keypad.frames import encode
from drivers.keypad.settings import KeypadBusSettings
from drivers.keypad.simulator import SimulatedKeypadBus

from .conftest import wait_until
from .test_pty_dispatch import rig


@pytest.mark.parametrize("cmd", [0x00, 0x02, 0x05])
def test_caller_keys_with_any_cmd_are_acted_on_and_acknowledged(sim: SimulatedKeypadBus, cmd: int) -> None:
    with rig({"a": sim}) as r:
        r.windows.issue(3)
        frame = sim.protocol.key_frame(1, StaffAction.CALL_NEXT, command=cmd)
        sim.send(frame)
        assert wait_until(lambda: r.windows.current[1] == "A001"), r.buses[0].counters
        assert sim.wait_for(lambda f: f.raw == frame) is not None  # the ACK: the frame unchanged
        no_show = sim.protocol.key_frame(1, StaffAction.NO_SHOW, command=cmd)  # a two-byte code
        sim.send(no_show)
        assert wait_until(lambda: ("no_show", 1, False) in r.windows.calls), r.windows.calls
        assert r.buses[0].counters.unknown_frames == 0


def test_an_echoing_adapter_never_doubles_a_press(sim: SimulatedKeypadBus) -> None:
    """Every byte we write comes back (acks and display frames): each press is applied once, the
    echoes are counted as echoes — not acted on, not acknowledged, not garbage."""
    sim.echo = True
    with rig({"a": sim}) as r:
        r.windows.issue(4)
        for cmd in (0x00, 0x02, 0x05):
            done = len(r.applied)
            sim.send(sim.protocol.key_frame(1, StaffAction.CALL_NEXT, command=cmd))
            assert wait_until(lambda d=done: len(r.applied) == d + 1)
            time.sleep(0.9)  # past the debounce, so a doubled press would have been applied
        bus = r.buses[0]
        assert wait_until(lambda: bus.counters.echoes >= 6)  # 3 ACKs and the display frames came back
        assert r.windows.calls.count(("call_next", 1)) == 3
        assert r.windows.current[1] == "A003"
        h = bus.health()
        assert h.counters["bad_length"] == 0 and h.counters["bytes_dropped"] == 0
        assert bus.counters.acks == 3 and bus.counters.unknown_frames == 0


def test_host_shaped_frames_from_another_host_are_left_alone(sim: SimulatedKeypadBus) -> None:
    p = FF68Protocol()
    with rig({"a": sim}) as r:
        r.windows.issue(2)
        since = len(sim.received)
        for frame in (p.display(1, "A007", 3), p.beep(1), p.start_evaluation(1)):
            sim.send(frame)  # not within the echo window of anything we sent: a foreign host
        sim.press_staff(2, StaffAction.CALL_NEXT)  # a marker: once applied, all before it were handled
        assert wait_until(lambda: r.windows.current[2] == "A001")
        assert r.windows.calls == [("call_next", 2)]
        assert [f for f in sim.frames(1)[since:] if f.command != CMD_DISPLAY] == []  # none acknowledged
        assert r.buses[0].not_understood() == {1: 3}


def test_a_custom_key_map_per_bus(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "v").mkdir()
    (tmp_path / "w").mkdir()
    with SimulatedKeypadBus(tmp_path / "v") as other, SimulatedKeypadBus(tmp_path / "w") as ours:
        vendor = {"21": "call_next", "22": "recall", "07 1F": "no_show"}
        with rig({"vendor": other, "ours": ours}, key_map=None, key_maps={"vendor": vendor}) as r:
            r.windows.issue(4)
            other.send(encode(1, 0x02, b"\x21"))
            assert wait_until(lambda: r.windows.current[1] == "A001")
            other.send(encode(1, 0x02, b"\x22"))
            assert wait_until(lambda: ("recall", 1) in r.windows.calls)
            other.send(encode(1, 0x02, b"\x07\x1f"))
            assert wait_until(lambda: ("no_show", 1, False) in r.windows.calls)
            # The vendor sheet's 0C means nothing on this bus, and says so on the staff screen ...
            other.send(encode(1, 0x00, b"\x0c"))
            vendor_bus = next(b for b in r.buses if b.name == "vendor")
            assert wait_until(lambda: vendor_bus.not_understood() == {1: 1})
            assert [k.not_understood for k in vendor_bus.health().keypads] == [1, 0]
            # ... while the other bus keeps the default map.
            ours.press_staff(2, StaffAction.CALL_NEXT)
            assert wait_until(lambda: r.windows.current[2] is not None)


def test_key_map_in_config_is_validated_with_the_key_named() -> None:
    s = KeypadBusSettings(name="x", url="loop://", key_map={"0c": "call_next", 12: "pause"})
    assert s.key_map == {"0C": "call_next", "12": "pause"}
    assert s.key_actions() == {b"\x0c": StaffAction.CALL_NEXT, b"\x12": StaffAction.PAUSE}
    with pytest.raises(ValueError, match="unknown operation 'call_nxt'"):
        KeypadBusSettings(name="x", url="loop://", key_map={"0C": "call_nxt"})
    with pytest.raises(ValueError, match="not hex bytes"):
        KeypadBusSettings(name="x", url="loop://", key_map={"0G": "call_next"})
    default = KeypadBusSettings(name="x", url="loop://").key_actions()
    assert default == {a.value: a for a in StaffAction}
