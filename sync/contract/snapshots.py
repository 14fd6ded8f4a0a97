"""Every snapshot an event can carry, as the kiosk writes it (docs/sync-events.md lists the same).

Strict: a field of the wrong JSON type, an unknown field, a value outside its enum or a date that does
not exist is refused. Fields a kiosk leaves null may be left out."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sync.contract.enums import (
    FollowupKind,
    FollowupStatus,
    IgnoredReason,
    Outcome,
    PrintStatus,
    RatingStatus,
    ShiftEnd,
    TicketStatus,
    WindowStatus,
)
from sync.contract.fields import (
    BoundedJson,
    Count,
    Id,
    Instant,
    IsoDate,
    Number,
    Prefix,
    StaffId,
    Text100,
    Text200,
    Text500,
    Text2000,
    WindowNumber,
)

STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


class TicketSnapshot(BaseModel):
    model_config = STRICT
    id: Id
    hall_id: Id
    business_date: IsoDate
    number: Number
    prefix: Prefix
    seq_no: Count
    service_code: Id
    service_name: Text200
    priority: Id | None = None
    """A category code (elderly, disabled …): never a name or an ID number."""
    issued_at: Instant
    status: TicketStatus
    print_status: PrintStatus
    print_error: Text500 | None = None
    reprints: Count = 0


class HandlingSnapshot(BaseModel):
    model_config = STRICT
    id: Id
    ticket_id: Id
    hall_id: Id
    business_date: IsoDate
    window_number: WindowNumber
    service_code: Id
    called_at: Instant
    last_called_at: Instant | None = None
    recalls: Count = 0
    started_at: Instant | None = None
    finished_at: Instant | None = None
    outcome: Outcome | None = None
    missing_materials: list[Text100] = Field(default_factory=list, max_length=50)
    promised_due: IsoDate | None = None
    staff_id: StaffId | None = None
    """The 工号 signed in at the window when it called (none: nobody was)."""


class RatingSnapshot(BaseModel):
    model_config = STRICT
    id: Id
    handling_id: Id
    ticket_id: Id
    hall_id: Id
    business_date: IsoDate
    window_number: WindowNumber
    service_code: Id
    opened_at: Instant
    expires_at: Instant
    status: RatingStatus
    level: int | None = Field(None, ge=1, le=5)
    """1 非常满意 … 5 非常不满意."""
    rated_at: Instant | None = None
    satisfied: bool | None = None
    dissatisfied: bool | None = None
    ignored_presses: Count = 0
    staff_id: StaffId | None = None
    """Whoever served (the handling's), even when the resident rated after they signed out."""


class FollowupSnapshot(BaseModel):
    model_config = STRICT
    id: Id
    kind: FollowupKind
    hall_id: Id
    business_date: IsoDate
    ticket_id: Id
    handling_id: Id
    rating_id: Id | None = None
    window_number: WindowNumber
    service_code: Id
    due_date: IsoDate
    status: FollowupStatus
    result: Text2000 | None = None
    done_at: Instant | None = None


class WindowSnapshot(BaseModel):
    model_config = STRICT
    hall_id: Id
    number: WindowNumber
    status: WindowStatus


class DayCloseSnapshot(BaseModel):
    model_config = STRICT
    hall_id: Id
    business_date: IsoDate
    closed_at: Instant
    figures: BoundedJson | None = None
    """The kiosk's own 日结 figures (``DaySummary.figures_dict``), compared with the centre's."""
    figures_version: Count | None = None


class IgnoredPressSnapshot(BaseModel):
    model_config = STRICT
    hall_id: Id
    business_date: IsoDate
    window_number: WindowNumber
    at: Instant
    reason: IgnoredReason


class ShiftSnapshot(BaseModel):
    """A staff member signed in at a window (staff.signed_in / staff.signed_out)."""

    model_config = STRICT
    id: Id
    hall_id: Id
    business_date: IsoDate
    window_number: WindowNumber
    staff_id: StaffId
    staff_name: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[^\x00-\x1f\x7f]*$")]
    started_at: Instant
    ended_at: Instant | None = None
    end_reason: ShiftEnd | None = None


class Payload(BaseModel):
    """The snapshots one event carries (which ones depends on its type; all are optional here)."""

    model_config = STRICT
    ticket: TicketSnapshot | None = None
    handling: HandlingSnapshot | None = None
    rating: RatingSnapshot | None = None
    followups: list[FollowupSnapshot] = Field(default_factory=list, max_length=20)
    window: WindowSnapshot | None = None
    day_close: DayCloseSnapshot | None = None
    ignored_press: IgnoredPressSnapshot | None = None
    shift: ShiftSnapshot | None = None
