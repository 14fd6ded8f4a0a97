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
DISPLAY_DIGITS = 6

_DEFAULT_ACTIONS = {a.value: a for a in StaffAction}


def host_shape(frame: Frame, key_map: dict[bytes, StaffAction] | None = None) -> str | None:
    """The host → device frame this one is shaped exactly like (display, beep, start-evaluation, our
    acknowledgement of a rating key: CMD 01 and one byte that is no caller key), or None.

    Only the whole shape counts, never the CMD byte alone: the public client code this protocol comes
    from acts on every caller frame whose CMD is not 0x11, and vendors do send caller keys with CMD 02.
    """
    if frame.command == CMD_DISPLAY and len(frame.data) == DISPLAY_DIGITS:
        return "display"
    if frame.command == CMD_BEEP and not frame.data:
        return "beep"
    if frame.command == CMD_START_EVALUATION and frame.data == START_EVALUATION_DATA:
        return "start-evaluation"
    keys = _DEFAULT_ACTIONS if key_map is None else key_map
    if frame.command == CMD_RATING_ACK and len(frame.data) == 1 and frame.data not in keys:
        return "rating acknowledgement"
    return None


@dataclass(frozen=True)
class Interpretation:
    """What an inbound frame means, whether it is acted on or not (for the bus and keypad-monitor)."""

    event_kind: KeyKind | None
    action: StaffAction | None = None
    key_index: int | None = None
    why_not: str = ""
    """Why it is not a key press ("" when it is)."""


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

    def __init__(self, key_map: dict[bytes, StaffAction] | None = None) -> None:
        self.key_map = dict(key_map) if key_map is not None else dict(_DEFAULT_ACTIONS)
        """Caller key code (the end of DATA) → action; the bus settings' ``key_map``."""

    def new_parser(self) -> FF68Parser:
        # LEN 2 (beep) to 8 (display): the host's own frames on the line (our echo, or another host's)
        # are parsed and recognised for what they are rather than counted as garbage.
        return FF68Parser(min_len=2, max_len=2 + DISPLAY_DIGITS)

    def interpret(self, frame: Frame) -> Interpretation:
        if frame.command == CMD_RATING_KEY:
            if len(frame.data) != 1:
                return Interpretation(None, why_not=f"rating frame with {len(frame.data)} data bytes, not 1")
            return Interpretation(KeyKind.RATING, key_index=frame.data[0])
        shape = host_shape(frame, self.key_map)
        if shape is not None:
            return Interpretation(
                None, why_not=f"shaped like the host's {shape} frame (another host or an echo)"
            )
        for n in (2, 1):
            action = self.key_map.get(frame.data[-n:]) if len(frame.data) >= n else None
            if action is not None:
                return Interpretation(KeyKind.STAFF, action=action)
        tail = frame.data[-2:].hex(" ").upper() or "none"
        return Interpretation(None, why_not=f"key code {tail} is not in this bus's key_map")

    def classify(self, frame: Frame, bus: str, received_at: float) -> KeyEvent | None:
        """Turn an inbound frame into a key event; ``None`` for frames that are not a known key."""
        meaning = self.interpret(frame)
        if meaning.event_kind is KeyKind.RATING:
            return KeyEvent(
                bus, frame.address, KeyKind.RATING, received_at, frame.raw, key_index=meaning.key_index
            )
        if meaning.event_kind is KeyKind.STAFF:
            return KeyEvent(bus, frame.address, KeyKind.STAFF, received_at, frame.raw, action=meaning.action)
        return None

    def ack(self, frame: Frame) -> bytes | None:
        """Rating keys: the frame with CMD 0x01; any other caller frame (any CMD, known key or not):
        the frame unchanged; host-shaped frames: none (acknowledging one would answer a host)."""
        if frame.command == CMD_RATING_KEY:
            return encode(frame.address, CMD_RATING_ACK, frame.data)
        if host_shape(frame, self.key_map) is not None:
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
