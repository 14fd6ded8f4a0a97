"""The kinds, states and outcomes that cross the wire from kiosk to centre, each defined once.

A value outside these sets is refused by the centre at the door (``sync.contract.snapshots``), so a
page, a figure or a CSV never meets a status it does not know."""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    TICKET_ISSUED = "ticket.issued"
    TICKET_PRINT_RESULT = "ticket.print_result"
    TICKET_TRANSFERRED = "ticket.transferred"
    TICKET_REQUEUED = "ticket.requeued"
    TICKET_REMOVED = "ticket.removed"
    HANDLING_CALLED = "handling.called"
    HANDLING_RECALLED = "handling.recalled"
    HANDLING_STARTED = "handling.started"
    HANDLING_HELD = "handling.held"
    HANDLING_FINISHED = "handling.finished"
    HANDLING_NO_SHOW = "handling.no_show"
    RATING_OPENED = "rating.opened"
    RATING_RECORDED = "rating.recorded"
    RATING_EXPIRED = "rating.expired"
    RATING_PRESS_IGNORED = "rating.press_ignored"
    FOLLOWUP_CREATED = "followup.created"
    FOLLOWUP_UPDATED = "followup.updated"
    WINDOW_PAUSED = "window.paused"
    WINDOW_RESUMED = "window.resumed"
    DAY_CLOSED = "day.closed"
    STAFF_SIGNED_IN = "staff.signed_in"
    STAFF_SIGNED_OUT = "staff.signed_out"


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    HELD = "held"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    REMOVED = "removed"


class PrintStatus(enum.StrEnum):
    PENDING = "pending"
    PRINTED = "printed"
    UNVERIFIED = "unverified"  # sent, but the printer could not confirm it
    FAILED = "failed"
    ON_SCREEN = "on_screen"  # shown on the screen instead of printed


class Outcome(enum.StrEnum):
    """How a handling ended (null while it is still going on)."""

    COMPLETED = "completed"
    MATERIALS_INCOMPLETE = "materials_incomplete"
    PROMISED = "promised"
    REFERRED = "referred"
    NO_SHOW = "no_show"
    HELD = "held"
    TRANSFERRED = "transferred"
    REMOVED_AT_CLOSE = "removed_at_close"


#: Outcomes that count as 办结 (served) in the figures.
FINISHED_OUTCOMES = frozenset(
    {Outcome.COMPLETED, Outcome.MATERIALS_INCOMPLETE, Outcome.PROMISED, Outcome.REFERRED}
)


class RatingStatus(enum.StrEnum):
    OPEN = "open"
    RATED = "rated"
    UNRATED = "unrated"


class FollowupKind(enum.StrEnum):
    CALLBACK = "callback"  # 回访
    RECTIFICATION = "rectification"  # 整改
    PROMISED = "promised"  # 承诺件


class FollowupStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class WindowStatus(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"


class ShiftEnd(enum.StrEnum):
    """Why a staff member's shift at a window ended."""

    SIGNED_OUT = "signed_out"
    REPLACED = "replaced"  # another staff member signed in at the window
    MOVED = "moved"  # the same staff member signed in at another window
    DAY_CLOSED = "day_closed"


class IgnoredReason(enum.StrEnum):
    """Why a rating key press was counted but not applied."""

    NO_SLOT = "no_slot"
    ALREADY_RATED = "already_rated"
    EXPIRED = "expired"
    UNKNOWN_KEY = "unknown_key"


#: A ticket in one of these is still in the day's queue: the close (日结) removes it.
OPEN_TICKET_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.HELD})
#: The ticket came out of the printer (or very probably did).
PRINTED_STATUSES = frozenset({PrintStatus.PRINTED, PrintStatus.UNVERIFIED})
#: The ticket was never printed as issued (counted as a print failure).
UNPRINTED_STATUSES = frozenset({PrintStatus.FAILED, PrintStatus.ON_SCREEN})
