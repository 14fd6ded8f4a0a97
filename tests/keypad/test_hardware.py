"""The same driver against a real keypad: KEYPAD_TEST_URL=/dev/serial/by-id/... KEYPAD_TEST_ADDRESS=1
pytest -m hardware tests/keypad. Shows 123 on the keypad, beeps, then waits for any key (press one)."""

from __future__ import annotations

import os

import pytest

from drivers.keypad.bus import KeypadBus
from drivers.keypad.events import KeyEvent
from drivers.keypad.settings import KeypadBusSettings
from drivers.keypad.transport import LinkState

from .conftest import wait_until

URL = os.environ.get("KEYPAD_TEST_URL")


@pytest.mark.hardware
@pytest.mark.skipif(not URL, reason="set KEYPAD_TEST_URL to a real keypad line")
def test_real_keypad_round_trip() -> None:
    address = int(os.environ.get("KEYPAD_TEST_ADDRESS", "1"))
    events: list[KeyEvent] = []
    bus = KeypadBus(
        KeypadBusSettings(name="hw", url=URL or "", keypads=[{"address": address, "window": 1}]),  # type: ignore[list-item]
        on_event=events.append,
    )
    bus.start()
    try:
        assert wait_until(lambda: bus.state is LinkState.UP), bus.transport.last_error
        assert bus.send(bus.protocol.display(address, "123", 0))
        assert bus.send(bus.protocol.beep(address))
        print(f"press any key on keypad {address} within 60 s")
        assert wait_until(lambda: events, timeout=60), bus.health()
        assert events[0].address == address
    finally:
        bus.stop()
