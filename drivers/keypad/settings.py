"""Typed keypad configuration (one section of the hall configuration)."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .events import StaffAction


def default_key_map() -> dict[str, str]:
    """The FF 68 vendor sheet's caller keys (docs/keypad-protocol.md)."""
    return {code_text(a.value): a.name.lower() for a in StaffAction}


def code_text(code: bytes) -> str:
    """A key code as the config writes it: upper-case hex bytes separated by spaces ("06 0F")."""
    return " ".join(f"{b:02X}" for b in code)


def parse_code(text: str) -> bytes:
    """ "0c", "06 0F", "060f" → the bytes; ValueError naming the text otherwise."""
    compact = text.replace(" ", "")
    try:
        code = bytes.fromhex(compact)
    except ValueError:
        raise ValueError(f'key code {text!r} is not hex bytes (write e.g. "0C" or "06 0F")') from None
    if not 1 <= len(code) <= 2:
        raise ValueError(f"key code {text!r}: one or two bytes (the end of the frame's DATA)")
    return code


class KeypadBinding(BaseModel):
    """One keypad on a bus and the window it belongs to."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    address: int = Field(ge=0, le=255)
    """The one-byte address set on the device (DIP switches or its menu)."""
    window: int = Field(ge=1)
    """The window number (窗口号) this keypad's presses act on."""
    role: Literal["both", "caller", "evaluator"] = "both"
    """Which displays this device gets: a 呼叫评价器 is both; separate caller / evaluator pads also exist."""


class KeypadBusSettings(BaseModel):
    """One RS-485 line with its USB-serial adapter and the keypads on it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str = Field(min_length=1)
    """Short name for logs and the staff screen, e.g. "east-counter"."""
    url: str = Field(min_length=1)
    """A pyserial ``serial_for_url`` URL. Prefer a stable ``/dev/serial/by-id/...`` path over
    ``/dev/ttyUSB0`` (enumeration order changes after a replug); ``socket://host:port`` and
    ``rfc2217://host:port`` work for serial servers."""
    baudrate: int = 9600
    """Line speed; keypads ship at 9600 8N1."""
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    stopbits: Literal[1, 2] = 1
    protocol: Literal["ff68"] = "ff68"
    """Wire protocol of the keypads on this line."""
    debounce_ms: int = Field(default=800, ge=0)
    """The same key on the same keypad again within this interval (after an accepted press) is ignored."""
    retransmit_window_ms: int = Field(default=1500, ge=0)
    """A byte-identical frame from the same address within this time of the previous copy (or of our ACK,
    which waits for the commit) is the device resending because it missed our ACK: acknowledged again,
    counted once; also after a restart, from the commit kept in the database. Must exceed the keypad's
    retry interval (vendors: a few hundred ms), or a resent "call next" would call a second resident."""
    echo_window_ms: int = Field(default=60, ge=0)
    """An inbound frame identical to one we sent within this time is our own transmission echoed by the
    adapter: ignored and never acknowledged."""
    silent_after_s: float = Field(default=900.0, gt=0)
    """A keypad with no frame for this long is reported silent (keypads only talk when pressed)."""
    reconnect_initial_s: float = Field(default=0.5, gt=0)
    """First wait before reopening a port that failed; doubles each failure."""
    reconnect_max_s: float = Field(default=30.0, gt=0)
    """Longest wait between reopen attempts."""
    keypads: list[KeypadBinding] = Field(default_factory=list)
    """Keypads on this line."""
    key_map: dict[str, str] = Field(default_factory=default_key_map)
    """Caller keys of this line's keypads: the key code that ends a frame's DATA (hex, "0C" or "06 0F")
    → the operation (call_next, recall, request_rating, cancel, pause, transfer, no_show, hold,
    call_held). The default is the vendor sheet's codes; a keypad of another vendor gets its own map
    (`kiosk-admin keypad-monitor` shows the codes its keys send). Replaces the default as a whole."""

    @field_validator("key_map", mode="before")
    @classmethod
    def _unquoted_codes(cls, key_map: object) -> object:
        # YAML reads an unquoted 12 as the number 12; the installer meant the hex byte 12.
        if isinstance(key_map, dict):
            return {(f"{k:02d}" if isinstance(k, int) else k): v for k, v in key_map.items()}
        return key_map

    @field_validator("key_map")
    @classmethod
    def _known_codes_and_operations(cls, key_map: dict[str, str]) -> dict[str, str]:
        names = {a.name.lower() for a in StaffAction}
        out: dict[str, str] = {}
        for text, op in key_map.items():
            code = code_text(parse_code(str(text)))
            if op not in names:
                raise ValueError(f"key {text}: unknown operation {op!r} (known: {', '.join(sorted(names))})")
            if code in out:
                raise ValueError(f"key code {code} is mapped twice")
            out[code] = op
        return out

    def key_actions(self) -> dict[bytes, StaffAction]:
        """The key map as the protocol reads it: code bytes → staff action."""
        return {parse_code(code): StaffAction[op.upper()] for code, op in self.key_map.items()}

    @model_validator(mode="after")
    def _unique_addresses(self) -> KeypadBusSettings:
        counts = Counter(k.address for k in self.keypads)
        dup = sorted(a for a, n in counts.items() if n > 1)
        if dup:
            raise ValueError(f"bus {self.name!r}: address(es) {dup} configured twice")
        return self


class KeypadSettings(BaseModel):
    """All keypad buses of the hall."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    buses: list[KeypadBusSettings] = Field(default_factory=list)
    """One entry per RS-485 line."""
    display: Literal["combined", "separate"] = "combined"
    """combined: one frame with waiting count (left) and ticket number (right); separate: the vendor
    sheet's two frames, each blanking the other half — pick it if a device shows garbage."""
    transfer_outcome: str = "referred"
    """The engine's outcome for the TRANSFER (转办) key."""
    completed_outcome: str = "completed"
    """The engine's outcome for the key that asks the resident to rate (办结)."""

    @model_validator(mode="after")
    def _unique_buses(self) -> KeypadSettings:
        counts = Counter(b.name for b in self.buses)
        dup = sorted(n for n, c in counts.items() if c > 1)
        if dup:
            raise ValueError(f"bus name(s) {dup} used twice")
        return self
