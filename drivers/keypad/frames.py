"""The FF 68 frame: ``FF 68 LEN LEN 68 ADDR CMD DATA.. CS 16``.

``LEN`` counts ADDR + CMD + DATA; ``CS`` is (ADDR + CMD + sum(DATA)) mod 256. See docs/keypad-protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD = b"\xff\x68"
START = 0x68
END = 0x16
#: Bytes around the payload: FF 68 LEN LEN 68 ... CS 16.
OVERHEAD = 7


def checksum(address: int, command: int, data: bytes = b"") -> int:
    """(ADDR + CMD + sum(DATA)) mod 256."""
    return (address + command + sum(data)) & 0xFF


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded FF 68 frame (either direction)."""

    address: int
    command: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0xFF or not 0 <= self.command <= 0xFF:
            raise ValueError(f"address and command are single bytes, got {self.address}, {self.command}")
        if len(self.data) > 0xFF - 2:
            raise ValueError("frame payload too long")

    @property
    def length(self) -> int:
        """The LEN byte: ADDR + CMD + DATA."""
        return 2 + len(self.data)

    @property
    def checksum(self) -> int:
        return checksum(self.address, self.command, self.data)

    @property
    def raw(self) -> bytes:
        """The frame's bytes on the wire."""
        return encode(self.address, self.command, self.data)


def encode(address: int, command: int, data: bytes = b"") -> bytes:
    """Encode one frame to wire bytes."""
    length = 2 + len(data)
    return (
        HEAD
        + bytes((length, length, START, address, command))
        + bytes(data)
        + bytes((checksum(address, command, data), END))
    )


def transmission_seconds(n_bytes: int, baudrate: int, bits_per_byte: int = 10) -> float:
    """Time a UART needs to send ``n_bytes`` (8N1 = 10 bits a byte)."""
    return n_bytes * bits_per_byte / baudrate
