"""The contract between a hall's kiosk and the street centre: the event envelope, every snapshot's
fields and types, and the kinds, states and outcomes (docs/sync-events.md).

A leaf package: it imports nothing from ``kiosk`` or ``sync.centre``, so the kiosk can produce from
it and the centre can validate with it without either pulling in the other."""

from sync.contract.enums import (
    FINISHED_OUTCOMES,
    EventType,
    FollowupKind,
    FollowupStatus,
    IgnoredReason,
    Outcome,
    PrintStatus,
    RatingStatus,
    TicketStatus,
    WindowStatus,
)
from sync.contract.envelope import ContractViolation, Event, PushBatch, parse_push
from sync.contract.snapshots import (
    DayCloseSnapshot,
    FollowupSnapshot,
    HandlingSnapshot,
    IgnoredPressSnapshot,
    Payload,
    RatingSnapshot,
    TicketSnapshot,
    WindowSnapshot,
)

__all__ = [
    "FINISHED_OUTCOMES",
    "ContractViolation",
    "DayCloseSnapshot",
    "Event",
    "EventType",
    "FollowupKind",
    "FollowupSnapshot",
    "FollowupStatus",
    "HandlingSnapshot",
    "IgnoredPressSnapshot",
    "IgnoredReason",
    "Outcome",
    "Payload",
    "PrintStatus",
    "PushBatch",
    "RatingSnapshot",
    "RatingStatus",
    "TicketSnapshot",
    "TicketStatus",
    "WindowSnapshot",
    "WindowStatus",
    "parse_push",
]
