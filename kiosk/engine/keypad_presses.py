"""The keypads' committed frames: written in the transaction of the operation a key press caused.

A keypad is acknowledged only after its press is committed (docs/keypad-protocol.md). If the power goes
between the commit and the acknowledgement, the keypad resends the same frame to a restarted kiosk; the
row written here, in the very transaction of the call or rating, lets the driver recognise that resend
and acknowledge it without acting twice. A press the engine refused is kept too, in a transaction of
its own (the refusal changed nothing else), before the keypad is answered. One row per keypad (the last
frame is all a resend can be), with a count of its committed presses.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine.clock import as_utc


@dataclass(frozen=True)
class KeypadFrame:
    """One key frame from one keypad: the bus's name, the device address, the bytes received."""

    bus: str
    address: int
    frame: bytes


@dataclass(frozen=True)
class CommittedFrame:
    frame: KeypadFrame
    committed_at: float
    """Wall-clock time (time.time()) of the commit."""


def record(s: Session, press: KeypadFrame) -> None:
    """Keep ``press`` as its keypad's last committed frame, in the caller's transaction."""
    # Wall time, not the engine's clock: the driver compares it with time.time() after a restart.
    at = dt.datetime.fromtimestamp(time.time(), dt.UTC)
    row = s.get(m.KeypadPress, (press.bus, press.address))
    if row is None:
        row = m.KeypadPress(bus=press.bus, address=press.address, presses=0)
        s.add(row)
    row.frame, row.committed_at, row.presses = press.frame.hex(), at, row.presses + 1


def latest(s: Session) -> list[CommittedFrame]:
    """Every keypad's last committed frame."""
    return [
        CommittedFrame(
            KeypadFrame(r.bus, r.address, bytes.fromhex(r.frame)), as_utc(r.committed_at).timestamp()
        )
        for r in s.scalars(select(m.KeypadPress))
    ]
