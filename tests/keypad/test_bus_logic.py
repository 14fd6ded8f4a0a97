"""Debounce, retransmission, echo and address rules, fed with explicit timestamps (deterministic)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from drivers.keypad.bus import KeypadBus
from drivers.keypad.events import KeyEvent, StaffAction
from drivers.keypad.ff68 import FF68Protocol
from drivers.keypad.frames import encode
from drivers.keypad.settings import KeypadBusSettings, KeypadSettings
from drivers.keypad.transport import LinkState

P = FF68Protocol()


def make_bus(**kw: object) -> tuple[KeypadBus, list[KeyEvent]]:
    settings = KeypadBusSettings.model_validate(
        {"name": "b", "url": "loop://", "keypads": [{"address": 1, "window": 1}, {"address": 2, "window": 2}]}
        | kw
    )
    events: list[KeyEvent] = []
    bus = KeypadBus(settings, on_event=events.append)
    # As the owner thread sets it once the port is open: frames sent are queued on the line (``_out``).
    bus.transport.state = LinkState.UP
    return bus, events


def sent(bus: KeypadBus) -> list[bytes]:
    """Frames put on the line so far, in order (the transport is not started, so they stay queued)."""
    return list(bus.transport._out)


def test_retransmission_counts_once_and_is_acknowledged_again() -> None:
    bus, events = make_bus(debounce_ms=0, retransmit_window_ms=600)
    frame = P.rating_frame(1, 2)
    bus.feed(frame, 10.0)
    bus.feed(frame, 10.3)  # device missed our ACK
    bus.feed(frame, 10.6)  # and again: the window slides with each copy
    assert len(events) == 1
    assert bus.counters.retransmits == 2
    assert bus.counters.acks == 3


def test_same_frame_after_the_retransmit_window_is_a_new_press() -> None:
    bus, events = make_bus(debounce_ms=0, retransmit_window_ms=600)
    frame = P.key_frame(1, StaffAction.CALL_NEXT)
    bus.feed(frame, 10.0)
    bus.feed(frame, 10.7)
    assert len(events) == 2


def test_debounce_same_key_within_interval() -> None:
    bus, events = make_bus(debounce_ms=800, retransmit_window_ms=0)
    frame = P.key_frame(1, StaffAction.CALL_NEXT)
    bus.feed(frame, 10.0)
    bus.feed(frame, 10.5)
    bus.feed(frame, 10.9)  # 0.9 s after the accepted press: a new press
    assert len(events) == 2
    assert bus.counters.debounced == 1


def test_debounce_is_per_key_and_per_keypad() -> None:
    bus, events = make_bus(debounce_ms=800, retransmit_window_ms=600)
    bus.feed(P.rating_frame(1, 0), 10.0)
    bus.feed(P.rating_frame(1, 3), 10.1)  # another key: the engine decides (first rating wins)
    bus.feed(P.rating_frame(2, 0), 10.1)  # another keypad
    assert [(e.address, e.key_index) for e in events] == [(1, 0), (1, 3), (2, 0)]


def test_echo_of_our_own_ack_is_ignored_and_not_acknowledged() -> None:
    bus, events = make_bus(echo_window_ms=60)
    frame = P.key_frame(1, StaffAction.RECALL)
    bus.feed(frame, 10.0)
    bus._on_written(frame, 10.001)  # our echo-ACK went out ...
    bus.feed(frame, 10.012)  # ... and an adapter with local echo hands it back
    assert len(events) == 1
    assert bus.counters.echoes == 1
    assert bus.counters.acks == 1


def test_unknown_address_is_acknowledged_counted_and_reported() -> None:
    bus, events = make_bus()
    bus.feed(P.key_frame(9, StaffAction.CALL_NEXT), 10.0)
    assert events == []
    assert bus.counters.unknown_address == 1 and bus.counters.acks == 1
    assert bus.health().unknown_addresses == (9,)


def test_silence_reported_with_last_seen() -> None:
    bus, _ = make_bus(silent_after_s=60)
    bus.feed(P.key_frame(1, StaffAction.CALL_NEXT), 10.0)
    bus.transport.state = LinkState.DOWN
    # the line is not up: nothing can be said about keypads
    assert {k.status for k in bus.health(now=500.0).keypads} == {"unknown"}
    bus.transport.state = LinkState.UP
    bus._started_at = 0.0
    health = {k.address: k for k in bus.health(now=65.0).keypads}
    assert health[1].status == "ok" and health[1].last_seen is not None
    assert health[2].status == "silent" and health[2].last_seen is None
    assert bus.check_silence(now=65.0) == ([2], [])
    assert bus.check_silence(now=66.0) == ([], [])  # reported once
    assert bus.check_silence(now=75.0) == ([1], [])
    bus.feed(P.key_frame(1, StaffAction.RECALL), 76.0)
    assert bus.check_silence(now=77.0) == ([], [1])


def test_settings_reject_duplicates_and_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="configured twice"):
        KeypadBusSettings(name="b", url="/dev/null", keypads=[{"address": 1, "window": 1}] * 2)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="used twice"):
        KeypadSettings(buses=[KeypadBusSettings(name="b", url="x")] * 2)
    with pytest.raises(ValidationError):
        KeypadBusSettings.model_validate({"name": "b", "url": "x", "baud": 9600})
    assert KeypadBusSettings(name="b", url="x").baudrate == 9600


def deferring_bus(**kw: object) -> tuple[KeypadBus, list[KeyEvent]]:
    """A bus as the dispatcher runs it: a press that becomes an event waits for its commit."""
    bus, events = make_bus(**kw)
    bus.defer_acks = True
    return bus, events


def test_a_press_is_acknowledged_only_once_committed_and_its_resends_wait() -> None:
    bus, events = deferring_bus(retransmit_window_ms=600)
    frame = P.key_frame(1, StaffAction.CALL_NEXT)
    bus.feed(frame, 10.0)
    assert len(events) == 1 and sent(bus) == []  # handed on, not answered
    bus.feed(frame, 10.3)  # the keypad heard nothing and resends: neither acted on nor answered
    assert len(events) == 1 and sent(bus) == [] and bus.counters.resent_pending == 1
    assert bus.pending() == 1
    bus.acknowledge_press(events[0])  # the dispatcher: committed
    assert sent(bus) == [frame] and bus.pending() == 0
    bus.feed(frame, 10.5)  # the ACK was lost on the line: answered again, still one press
    assert len(events) == 1 and sent(bus) == [frame, frame] and bus.counters.retransmits == 1


def test_the_retransmit_window_counts_from_the_ack_when_the_commit_was_slow() -> None:
    bus, events = deferring_bus(retransmit_window_ms=600)
    frame = P.rating_frame(1, 0)
    bus.feed(frame, 10.0)
    bus._last_copy[1] = (frame, 10.0)  # as if the commit took longer than the whole window
    bus.acknowledge_press(events[0])
    now = bus._last_copy[1][1]
    assert now > 10.6
    bus.feed(frame, now + 0.3)  # a resend answering no ACK of ours is still a resend
    assert len(events) == 1 and bus.counters.retransmits == 1


def test_a_failed_press_is_not_acknowledged_and_its_resend_is_tried_again() -> None:
    bus, events = deferring_bus(retransmit_window_ms=600, debounce_ms=800)
    frame = P.key_frame(1, StaffAction.CALL_NEXT)
    bus.feed(frame, 10.0)
    bus.release_press(events[0])  # the engine failed: nothing committed
    assert sent(bus) == [] and bus.pending() == 0
    bus.feed(frame, 10.2)  # neither a retransmission nor a bounce: the press itself, once more
    assert len(events) == 2 and sent(bus) == []
    bus.acknowledge_press(events[1])
    assert sent(bus) == [frame]


def test_other_keypads_are_served_while_one_press_waits() -> None:
    bus, events = deferring_bus()
    call_1 = P.key_frame(1, StaffAction.CALL_NEXT)
    rate_2 = P.rating_frame(2, 1)
    unknown_2 = encode(2, 0x00, b"\x77")  # a key code in no key map
    bus.feed(call_1, 10.0)
    bus.feed(rate_2, 10.1)
    bus.feed(unknown_2, 10.2)  # nothing to commit: answered at once
    assert [e.address for e in events] == [1, 2] and sent(bus) == [unknown_2]
    bus.acknowledge_press(events[1])  # keypad 2's commit may come first: its ACK does not wait
    bus.acknowledge_press(events[0])
    assert sent(bus) == [unknown_2, P.ack(P.new_parser().feed(rate_2)[0]), call_1]


def test_a_press_committed_before_a_restart_is_recognised_when_resent() -> None:
    frame = P.key_frame(1, StaffAction.CALL_NEXT)
    bus, events = deferring_bus(retransmit_window_ms=600)
    bus.remember_committed(1, frame, time.time() - 0.2)  # the engine's record, read at start
    bus.feed(frame, time.monotonic())  # the keypad never heard our ACK before the power went
    assert events == [] and sent(bus) == [frame] and bus.counters.retransmits == 1

    bus, events = deferring_bus(retransmit_window_ms=600)
    bus.remember_committed(1, frame, time.time() - 5.0)  # long ago: a new press
    bus.feed(frame, time.monotonic())
    assert len(events) == 1 and sent(bus) == []


def test_acks_of_presses_committed_while_the_line_was_down_go_out_when_it_is_back() -> None:
    bus, events = deferring_bus(retransmit_window_ms=600)
    frame = P.rating_frame(1, 3)
    bus.feed(frame, 10.0)
    bus.transport.state = LinkState.DOWN
    bus.acknowledge_press(events[0])
    assert sent(bus) == [] and bus.pending() == 1
    bus.transport.state = LinkState.UP
    bus._on_link(LinkState.UP)
    assert sent(bus) == [P.ack(P.new_parser().feed(frame)[0])] and bus.pending() == 0
    assert bus.counters.late_acks == 1
    bus.feed(frame, time.monotonic() + 0.3)  # its resend after the outage: answered, not acted on
    assert len(events) == 1 and bus.counters.retransmits == 1
