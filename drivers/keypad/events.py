"""What a keypad press means, independent of the wire protocol."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class KeyKind(enum.StrEnum):
    STAFF = "staff"
    RATING = "rating"


class StaffAction(enum.Enum):
    """Staff keys; the value is the key code as it ends the frame's DATA (FF 68 protocol)."""

    CALL_NEXT = b"\x0c"
    RECALL = b"\x0d"
    REQUEST_RATING = b"\x0b"
    CANCEL = b"\x0e"
    PAUSE = b"\x12"
    TRANSFER = b"\x13"
    NO_SHOW = b"\x06\x0f"
    HOLD = b"\x00\x0f"
    CALL_HELD = b"\x03\x0f"


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """One accepted key press.

    ``received_at`` is ``time.monotonic()`` when the frame's last byte was read; ``raw`` is the frame as
    received (for logs and the audit trail).
    """

    bus: str
    address: int
    kind: KeyKind
    received_at: float
    raw: bytes
    action: StaffAction | None = None
    key_index: int | None = None

    @property
    def key(self) -> tuple[int, KeyKind, StaffAction | int | None]:
        """Identity of the key for debouncing: same address, same key."""
        return (self.address, self.kind, self.action if self.kind is KeyKind.STAFF else self.key_index)

    def describe(self) -> str:
        what = self.action.name if self.action is not None else f"rating key {self.key_index}"
        return f"{self.bus}#{self.address} {what}"
