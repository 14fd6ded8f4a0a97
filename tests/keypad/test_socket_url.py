"""A keypad line behind a serial server (``socket://``): same bus, same reconnect, over real TCP."""

from __future__ import annotations

import socket

from drivers.keypad.bus import KeypadBus
from drivers.keypad.events import KeyEvent, StaffAction
from drivers.keypad.ff68 import FF68Protocol
from drivers.keypad.settings import KeypadBusSettings
from drivers.keypad.transport import LinkState

from .conftest import wait_until


def test_socket_url_reads_acks_and_reconnects() -> None:
    proto = FF68Protocol()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(10)
        port = server.getsockname()[1]
        events: list[KeyEvent] = []
        settings = KeypadBusSettings(
            name="tcp",
            url=f"socket://127.0.0.1:{port}",
            reconnect_initial_s=0.05,
            keypads=[{"address": 1, "window": 1}],  # type: ignore[list-item]
        )
        seen: list[tuple[LinkState, str | None]] = []  # (state, error code) as the owner thread set them
        bus = KeypadBus(
            settings,
            on_event=events.append,
            on_state=lambda b, s: seen.append((s, b.transport.last_error and b.transport.last_error.code)),
        )
        bus.start()
        try:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(10)
                assert wait_until(lambda: bus.state is LinkState.UP)
                frame = proto.key_frame(1, StaffAction.CALL_NEXT)
                conn.sendall(frame)
                assert conn.recv(len(frame)) == frame  # the echo ACK
                assert wait_until(lambda: len(events) == 1)
            # the server dropped us (the line may already be back: the server keeps listening)
            assert wait_until(lambda: (LinkState.DOWN, "port-lost") in seen)
            conn2, _ = server.accept()  # the transport dials again by itself
            with conn2:
                assert wait_until(lambda: bus.state is LinkState.UP)
                assert bus.transport.opens == 2
        finally:
            bus.stop()


def test_unusable_url_is_reported_and_retried_not_raised() -> None:
    settings = KeypadBusSettings(name="typo", url="sokcet://127.0.0.1:1", reconnect_initial_s=0.05)
    bus = KeypadBus(settings)
    bus.start()
    try:
        assert wait_until(lambda: bus.transport.failures >= 2)  # retried, thread alive
        assert bus.state is LinkState.RECONNECTING
        assert bus.transport.last_error is not None and bus.transport.last_error.code == "port-error"
    finally:
        bus.stop()
    assert bus.state is LinkState.STOPPED
