"""FF 68 keypad protocol: a streaming parser that resynchronises after garbage, and the protocol object.

Parsing rule (docs/keypad-protocol.md): find ``FF 68``; both LEN bytes equal and within
``min_len..max_len``; a third ``68``; checksum; end byte ``16``. On any failure skip ONE byte and rescan,
so a valid frame that starts inside a rejected candidate is still found.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import KeyEvent, KeyKind, StaffAction
from .frames import END, HEAD, OVERHEAD, START, Frame, checksum, encode

CMD_RATING_KEY = 0x11
CMD_RATING_ACK = 0x01
CMD_DISPLAY = 0x02
CMD_BEEP = 0x03
CMD_START_EVALUATION = 0x01
START_EVALUATION_DATA = b"\x0b"
BLANK = 0x0A
#: Host → device commands; an inbound frame with one of these is our own echo or a foreign host,
#: never a key press, and is never acknowledged (acknowledging an echo would loop forever).
HOST_COMMANDS = frozenset({CMD_RATING_ACK, CMD_DISPLAY, CMD_BEEP})

_ACTIONS_BY_CODE = {a.value: a for a in StaffAction}


@dataclass
class ParserCounters:
    frames_ok: int = 0
    bytes_dropped: int = 0
    bad_checksum: int = 0
    bad_length: int = 0
    bad_start: int = 0
    bad_end: int = 0


class FF68Parser:
    """Incremental FF 68 parser: ``feed(bytes) -> list[Frame]``. Not thread-safe (one per bus reader)."""

    def __init__(self, min_len: int = 3, max_len: int = 5) -> None:
        self.min_len = min_len
        self.max_len = max_len
        self.counters = ParserCounters()
        self._buf = bytearray()

    def reset(self) -> None:
        """Forget a partial frame (after the port was reopened)."""
        self.counters.bytes_dropped += len(self._buf)
        self._buf.clear()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _drop(self, n: int) -> None:
        del self._buf[:n]
        self.counters.bytes_dropped += n

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        buf += data
        out: list[Frame] = []
        c = self.counters
        while True:
            i = buf.find(HEAD)
            if i < 0:
                # Keep a trailing FF: it may be the first half of the next head.
                keep = 1 if buf[-1:] == b"\xff" else 0
                self._drop(len(buf) - keep)
                return out
            if i:
                self._drop(i)
            if len(buf) < 5:
                return out
            n1, n2 = buf[2], buf[3]
            if n1 != n2 or not self.min_len <= n1 <= self.max_len:
                c.bad_length += 1
                self._drop(1)
                continue
            if buf[4] != START:
                c.bad_start += 1
                self._drop(1)
                continue
            total = n1 + OVERHEAD
            if len(buf) < total:
                return out
            body = bytes(buf[5 : 5 + n1])
            if checksum(body[0], body[1], body[2:]) != buf[5 + n1]:
                c.bad_checksum += 1
                self._drop(1)
                continue
            if buf[total - 1] != END:
                c.bad_end += 1
                self._drop(1)
                continue
            del buf[:total]
            c.frames_ok += 1
            out.append(Frame(body[0], body[1], body[2:]))


def _digits(text: str, width: int = 3, pad: int = 0) -> bytes:
    """The last ``width`` digits of ``text`` as digit bytes, left-padded with ``pad``."""
    ds = [int(ch) for ch in text if ch.isdigit() and ch.isascii()][-width:]
    return bytes([pad] * (width - len(ds)) + ds)


class FF68Protocol:
    """The FF 68 framing as one :class:`~drivers.keypad.protocol.KeypadProtocol`."""

    name = "ff68"

    def new_parser(self) -> FF68Parser:
        return FF68Parser()

    def classify(self, frame: Frame, bus: str, received_at: float) -> KeyEvent | None:
        """Turn an inbound frame into a key event; ``None`` for frames that are not a known key."""
        if frame.command == CMD_RATING_KEY:
            key = frame.data[0]
            return KeyEvent(bus, frame.address, KeyKind.RATING, received_at, frame.raw, key_index=key)
        if frame.command in HOST_COMMANDS:
            return None
        for n in (2, 1):
            action = _ACTIONS_BY_CODE.get(frame.data[-n:]) if len(frame.data) >= n else None
            if action is not None:
                return KeyEvent(bus, frame.address, KeyKind.STAFF, received_at, frame.raw, action=action)
        return None

    def ack(self, frame: Frame) -> bytes | None:
        """Rating keys: the frame with CMD 0x01; caller keys: the frame unchanged; host commands: none."""
        if frame.command == CMD_RATING_KEY:
            return encode(frame.address, CMD_RATING_ACK, frame.data)
        if frame.command in HOST_COMMANDS:
            return None
        return frame.raw

    def display(self, address: int, number: str | None, waiting: int | None) -> bytes:
        """Six digits: waiting count on the left (blank-padded), ticket number on the right (last 3 digits).

        With only one half known this is exactly the vendor sheet's "show number" / "show waiting count"
        frame; the other half is blank (0A).
        """
        left = _digits(str(min(waiting, 999)), pad=BLANK) if waiting is not None else bytes([BLANK] * 3)
        right = _digits(number) if number is not None else bytes([BLANK] * 3)
        return encode(address, CMD_DISPLAY, left + right)

    def beep(self, address: int) -> bytes:
        return encode(address, CMD_BEEP)

    def start_evaluation(self, address: int) -> bytes:
        return encode(address, CMD_START_EVALUATION, START_EVALUATION_DATA)

    def key_frame(self, address: int, action: StaffAction, command: int = 0x00) -> bytes:
        """A caller-key frame as a device sends it (used by the simulator and tests).

        The vendor sheet does not fix the caller CMD byte; 0x00 is what the simulator sends.
        """
        return encode(address, command, action.value)

    def rating_frame(self, address: int, key_index: int) -> bytes:
        return encode(address, CMD_RATING_KEY, bytes([key_index]))
