"""The seam between the bus machinery and one wire protocol (FF 68 today; Modbus RTU could follow)."""

from __future__ import annotations

from typing import Any, Protocol

from .events import KeyEvent, StaffAction


class InboundFrame(Protocol):
    """What the bus needs of a decoded frame: who sent it and its exact bytes (for dedupe and logs)."""

    @property
    def address(self) -> int: ...

    @property
    def raw(self) -> bytes: ...


class FrameParser(Protocol):
    """A streaming parser: bytes in any chunking, whole frames out, never raises on bad input."""

    counters: Any

    def feed(self, data: bytes) -> list[Any]: ...

    def reset(self) -> None: ...


class KeypadProtocol(Protocol):
    """One keypad wire protocol. Every method is pure (bytes in, bytes out) and cheap."""

    name: str

    def new_parser(self) -> FrameParser: ...

    def classify(self, frame: Any, bus: str, received_at: float) -> KeyEvent | None:
        """The key event a frame means, or ``None`` if it is not a known key press."""
        ...

    def interpret(self, frame: Any) -> Any:
        """What the frame means (``event_kind``, ``action``, ``key_index``) or why it is no key
        (``why_not``), for the monitor and the counters."""
        ...

    def ack(self, frame: Any) -> bytes | None:
        """Bytes that acknowledge ``frame`` the way the device expects, or ``None``."""
        ...

    def display(self, address: int, number: str | None, waiting: int | None) -> bytes:
        """Show the called ticket number and/or the waiting count on a keypad's display."""
        ...

    def beep(self, address: int) -> bytes: ...

    def start_evaluation(self, address: int) -> bytes:
        """Ask the resident's side of the keypad to invite a rating."""
        ...


def get_protocol(name: str, key_map: dict[bytes, StaffAction] | None = None) -> KeypadProtocol:
    """The protocol object for a settings name, with the bus's caller key map (None: the default)."""
    if name == "ff68":
        from .ff68 import FF68Protocol

        return FF68Protocol(key_map)
    raise ValueError(f"unknown keypad protocol {name!r} (known: 'ff68')")
