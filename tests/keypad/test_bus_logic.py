"""Debounce, retransmission, echo and address rules, fed with explicit timestamps (deterministic)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from drivers.keypad.bus import KeypadBus
from drivers.keypad.events import KeyEvent, StaffAction
from drivers.keypad.ff68 import FF68Protocol
from drivers.keypad.settings import KeypadBusSettings, KeypadSettings

P = FF68Protocol()


def make_bus(**kw: object) -> tuple[KeypadBus, list[KeyEvent]]:
    settings = KeypadBusSettings.model_validate(
        {"name": "b", "url": "loop://", "keypads": [{"address": 1, "window": 1}, {"address": 2, "window": 2}]}
        | kw
    )
    events: list[KeyEvent] = []
    return KeypadBus(settings, on_event=events.append), events


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
    # the line is not up (transport not started): nothing can be said about keypads
    assert {k.status for k in bus.health(now=500.0).keypads} == {"unknown"}
    bus.transport.state = bus.transport.state.UP  # as the owner thread sets it once the port is open
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
