"""The event types of the contract (docs/sync-events.md), shared by the envelope checks."""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    "ticket.issued",
    "ticket.print_result",
    "ticket.transferred",
    "ticket.requeued",
    "ticket.removed",
    "handling.called",
    "handling.recalled",
    "handling.started",
    "handling.held",
    "handling.finished",
    "handling.no_show",
    "rating.opened",
    "rating.recorded",
    "rating.expired",
    "rating.press_ignored",
    "followup.created",
    "followup.updated",
    "window.paused",
    "window.resumed",
    "day.closed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
