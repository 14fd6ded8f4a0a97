"""The documented test vectors (docs/keypad-protocol.md) and parser edge cases."""

from __future__ import annotations

import pytest

from drivers.keypad.events import KeyKind, StaffAction
from drivers.keypad.ff68 import FF68Parser, FF68Protocol
from drivers.keypad.frames import Frame, checksum, encode

P = FF68Protocol()


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (wire bytes, address, kind, action or key index, ACK bytes) — the table in docs/keypad-protocol.md
INBOUND = [
    ("FF 68 03 03 68 01 11 00 12 16", 1, KeyKind.RATING, 0, "FF 68 03 03 68 01 01 00 02 16"),
    ("FF 68 03 03 68 07 11 03 1B 16", 7, KeyKind.RATING, 3, "FF 68 03 03 68 07 01 03 0B 16"),
    ("FF 68 03 03 68 02 00 0C 0E 16", 2, KeyKind.STAFF, StaffAction.CALL_NEXT, "same"),
    ("FF 68 03 03 68 02 00 0D 0F 16", 2, KeyKind.STAFF, StaffAction.RECALL, "same"),
    ("FF 68 03 03 68 02 00 0B 0D 16", 2, KeyKind.STAFF, StaffAction.REQUEST_RATING, "same"),
    ("FF 68 03 03 68 02 00 0E 10 16", 2, KeyKind.STAFF, StaffAction.CANCEL, "same"),
    ("FF 68 03 03 68 02 00 12 14 16", 2, KeyKind.STAFF, StaffAction.PAUSE, "same"),
    ("FF 68 03 03 68 02 00 13 15 16", 2, KeyKind.STAFF, StaffAction.TRANSFER, "same"),
    ("FF 68 04 04 68 03 00 06 0F 18 16", 3, KeyKind.STAFF, StaffAction.NO_SHOW, "same"),
    ("FF 68 04 04 68 03 00 00 0F 12 16", 3, KeyKind.STAFF, StaffAction.HOLD, "same"),
    ("FF 68 04 04 68 03 00 03 0F 15 16", 3, KeyKind.STAFF, StaffAction.CALL_HELD, "same"),
    ("FF 68 04 04 68 0A 05 00 0C 1B 16", 10, KeyKind.STAFF, StaffAction.CALL_NEXT, "same"),
]

OUTBOUND = [
    ("show number A012 at 1", P.display(1, "A012", None), "FF 68 08 08 68 01 02 0A 0A 0A 00 01 02 24 16"),
    ("show number B7 at 1", P.display(1, "B7", None), "FF 68 08 08 68 01 02 0A 0A 0A 00 00 07 28 16"),
    ("waiting 5 at 1", P.display(1, None, 5), "FF 68 08 08 68 01 02 0A 0A 05 0A 0A 0A 3A 16"),
    ("waiting 12, A012 at 2", P.display(2, "A012", 12), "FF 68 08 08 68 02 02 0A 01 02 00 01 02 14 16"),
    ("waiting 1500 shows 999", P.display(1, None, 1500), "FF 68 08 08 68 01 02 09 09 09 0A 0A 0A 3C 16"),
    ("beep at 1", P.beep(1), "FF 68 02 02 68 01 03 04 16"),
    ("start evaluation at 1", P.start_evaluation(1), "FF 68 03 03 68 01 01 0B 0D 16"),
]


@pytest.mark.parametrize(("wire", "address", "kind", "what", "ack"), INBOUND)
def test_inbound_vectors(wire: str, address: int, kind: KeyKind, what: object, ack: str) -> None:
    parser = FF68Parser()
    (frame,) = parser.feed(h(wire))
    event = P.classify(frame, "bus", 1.0)
    assert event is not None
    assert (event.address, event.kind) == (address, kind)
    assert (event.action if kind is KeyKind.STAFF else event.key_index) == what
    assert event.raw == h(wire)
    assert P.ack(frame) == h(wire if ack == "same" else ack)


@pytest.mark.parametrize(("name", "got", "wire"), OUTBOUND, ids=[o[0] for o in OUTBOUND])
def test_outbound_vectors(name: str, got: bytes, wire: str) -> None:
    assert got == h(wire)


def test_checksum_and_encode() -> None:
    assert checksum(1, 0x11, b"\x00") == 0x12
    assert checksum(0xFF, 0xFF, b"\xff") == 0xFD  # mod 256
    assert encode(1, 0x11, b"\x00") == h("FF 68 03 03 68 01 11 00 12 16")
    assert Frame(1, 0x11, b"\x00").raw == h("FF 68 03 03 68 01 11 00 12 16")


@pytest.mark.parametrize(
    ("wire", "counter"),
    [
        ("FF 68 03 04 68 01 11 00 12 16", "bad_length"),  # the two LEN bytes differ
        ("FF 68 02 02 68 01 11 12 16", "bad_length"),  # LEN <= 2 is not a key frame
        ("FF 68 06 06 68 01 11 00 00 00 00 12 16", "bad_length"),  # LEN > 5 inbound
        ("FF 68 03 03 67 01 11 00 12 16", "bad_start"),
        ("FF 68 03 03 68 01 11 00 13 16", "bad_checksum"),
        ("FF 68 03 03 68 01 11 00 12 17", "bad_end"),
    ],
)
def test_rejected_frames(wire: str, counter: str) -> None:
    parser = FF68Parser()
    assert parser.feed(h(wire)) == []
    assert getattr(parser.counters, counter) == 1
    # ...and the parser is immediately ready for the next good frame
    assert parser.feed(h("FF 68 03 03 68 01 11 00 12 16")) == [Frame(1, 0x11, b"\x00")]
    assert parser.counters.frames_ok == 1


def test_resync_after_garbage_and_byte_by_byte() -> None:
    good = h("FF 68 03 03 68 01 11 00 12 16")
    stream = b"\x00\x68\x16\xff\xff" + good + b"\x12\xff" + good
    parser = FF68Parser()
    frames = [f for b in stream for f in parser.feed(bytes([b]))]
    assert frames == [Frame(1, 0x11, b"\x00")] * 2


def test_valid_frame_hidden_inside_rejected_candidate() -> None:
    # A truncated head claims 5 bytes; the real frame starts inside what it would have covered.
    good = h("FF 68 03 03 68 02 00 0C 0E 16")
    stream = h("FF 68 05 05 68 02") + good
    parser = FF68Parser()
    assert parser.feed(stream) == [Frame(2, 0x00, b"\x0c")]
    assert parser.counters.bad_checksum + parser.counters.bad_end == 1


def test_partial_frame_waits_then_completes() -> None:
    good = h("FF 68 04 04 68 03 00 06 0F 18 16")
    parser = FF68Parser()
    assert parser.feed(good[:7]) == []
    assert parser.pending == 7
    assert parser.feed(good[7:]) == [Frame(3, 0x00, b"\x06\x0f")]
    assert parser.pending == 0


def test_host_commands_are_not_keys_and_never_acknowledged() -> None:
    # Our own ACK / display / beep read back (an adapter with local echo) must not loop.
    parser = FF68Parser(min_len=2, max_len=8)
    for raw in (P.ack(Frame(1, 0x11, b"\x00")), P.display(1, "A012", 3), P.beep(1), P.start_evaluation(1)):
        assert raw is not None
        (frame,) = parser.feed(raw)
        assert P.classify(frame, "bus", 0.0) is None
        assert P.ack(frame) is None


def test_unknown_caller_key_is_acknowledged_but_no_event() -> None:
    (frame,) = FF68Parser().feed(encode(4, 0x00, b"\x07"))
    assert P.classify(frame, "bus", 0.0) is None
    assert P.ack(frame) == frame.raw
