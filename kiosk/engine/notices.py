"""What the engine tells its listeners (keypads, call board, voice, the touch screen) after a commit.

A leaf module: listeners outside the engine (the keypad dispatcher) import it without loading the
engine, the database or any driver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class NoticeKind(enum.StrEnum):
    ISSUED = "issued"
    CALLED = "called"  # also a recall (``Notice.recall``)
    FINISHED = "finished"
    NO_SHOW = "no_show"
    HELD = "held"
    TRANSFERRED = "transferred"
    PAUSED = "paused"
    RESUMED = "resumed"
    RATING = "rating"
    CLOSED = "closed"
    SIGNED_IN = "signed_in"  # a staff member at a window (``detail``: their 工号)
    SIGNED_OUT = "signed_out"


#: Notices after which the number of residents waiting at a window may have changed.
CHANGES_WAITING = frozenset(
    {
        NoticeKind.ISSUED,
        NoticeKind.CALLED,
        NoticeKind.NO_SHOW,
        NoticeKind.HELD,
        NoticeKind.TRANSFERRED,
        NoticeKind.CLOSED,
    }
)


@dataclass(frozen=True)
class Notice:
    """Told to listeners after the change is committed."""

    kind: NoticeKind
    window: int | None = None
    number: str | None = None
    ticket_id: str | None = None
    service_code: str | None = None
    recall: bool = False
    detail: Any = None
