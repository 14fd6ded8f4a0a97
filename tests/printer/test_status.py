"""DLE EOT reply decoding: every scripted state, invalid bytes, silence."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from drivers.printer import status as st
from drivers.printer.status import SCRIPTED_REPLIES, PrinterState


@pytest.mark.parametrize("state", [s for s in PrinterState if SCRIPTED_REPLIES[s] is not None])
def test_scripted_replies_decode_to_their_state(state: PrinterState) -> None:
    replies = SCRIPTED_REPLIES[state]
    assert replies is not None
    decoded = st.decode_replies(dict(zip(st.QUERIES, replies, strict=True)))
    assert decoded.state is state
    assert (decoded.fault is None) == (state is PrinterState.READY)
    if decoded.fault is not None:
        assert decoded.fault.code == state.value
        assert decoded.fault.reason and decoded.fault.staff_action


def test_examples_from_the_protocol_notes() -> None:
    assert st.decode_replies({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}).state is PrinterState.READY
    assert st.decode_replies({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}).state is PrinterState.PAPER_NEAR_END
    # Paper out is visible from the paper sensor alone, even if the printer still claims online.
    assert st.decode_replies({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x7E}).state is PrinterState.PAPER_OUT
    assert st.decode_replies({1: 0x1A, 2: 0x32}).state is PrinterState.PAPER_OUT


def test_silence_and_garbage_are_unknown_never_ready() -> None:
    silent = st.decode_replies({1: None})
    assert silent.state is PrinterState.UNKNOWN and silent.fault is not None
    assert silent.fault.code == "no_reply"
    garbled = st.decode_replies({1: 0x00, 2: 0x12, 3: 0x12, 4: 0x12})
    assert garbled.state is PrinterState.UNKNOWN
    assert "invalid reply" in garbled.fault.detail  # type: ignore[union-attr]


def test_offline_without_known_cause_and_unrecoverable_error() -> None:
    s = st.decode_replies({1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12})
    assert s.state is PrinterState.OFFLINE
    assert s.fault is not None and "unrecoverable" in s.fault.detail


_valid = hs.integers(0, 255).map(lambda b: (b & ~0x93) | 0x12)


@given(hs.tuples(_valid, _valid, _valid, _valid))
def test_any_valid_reply_decodes_and_ready_means_no_fault_bits(replies: tuple[int, int, int, int]) -> None:
    s = st.decode_replies(dict(zip(st.QUERIES, replies, strict=True)))
    assert s.state is not PrinterState.UNKNOWN
    if s.state is PrinterState.READY:
        assert replies[0] & 0x08 == 0 and replies[3] & 0x6C == 0
        assert replies[1] & 0x64 == 0 and replies[2] & 0x08 == 0


def test_every_fault_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "printer.md").read_text(encoding="utf-8")
    for code in st.FAULT_CODES:
        assert f"`{code}`" in doc
