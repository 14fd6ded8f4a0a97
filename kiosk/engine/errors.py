"""Domain errors: an impossible transition raises one of these and changes nothing.

Each carries a stable `code` (for logs, keypad beeps and tests) and a plain-Chinese message staff
can act on.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class HallClosed(DomainError):
    code = "hall_closed"


class DailyCapReached(DomainError):
    code = "daily_cap_reached"


class UnknownService(DomainError):
    code = "unknown_service"


class UnknownWindow(DomainError):
    code = "unknown_window"


class UnknownPriority(DomainError):
    code = "unknown_priority"


class WindowPaused(DomainError):
    code = "window_paused"


class WindowBusy(DomainError):
    code = "window_busy"


class WindowIdle(DomainError):
    code = "window_idle"


class QueueEmpty(DomainError):
    code = "queue_empty"


class TicketNotCallable(DomainError):
    code = "ticket_not_callable"


class RecallLimitReached(DomainError):
    code = "recall_limit"


class InvalidOutcome(DomainError):
    code = "invalid_outcome"


class NoOpenRatingSlot(DomainError):
    code = "no_open_rating_slot"

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class DayAlreadyClosed(DomainError):
    code = "day_closed"


class FollowUpNotFound(DomainError):
    code = "followup_not_found"
