"""The kiosk's heartbeat (``POST /v1/heartbeat``, signed like a push): its live state and device health,
sent with each push and at least every five minutes while the hall is open. No resident data."""

from __future__ import annotations

import enum

from pydantic import BaseModel, Field

from sync.contract.fields import Count, Id, Instant, IsoDate, StaffId, Text100, Text200, WindowNumber
from sync.contract.snapshots import STRICT


class PrinterState(enum.StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"


class BusState(enum.StrEnum):
    OK = "ok"
    OFFLINE = "offline"


class WindowLive(BaseModel):
    model_config = STRICT
    number: WindowNumber
    status: str = Field(pattern=r"^(open|paused|closed)$")
    staff_id: StaffId | None = None


class PrinterHealth(BaseModel):
    model_config = STRICT
    state: PrinterState
    since: Instant | None = None
    """When the printer entered this state, on the kiosk's clock."""
    detail: Text200 | None = None


class KeypadBusHealth(BaseModel):
    model_config = STRICT
    bus: Text100
    state: BusState
    silent: list[WindowNumber] = Field(default_factory=list, max_length=100)
    """Keypads that have not answered a poll for a while."""


class Heartbeat(BaseModel):
    model_config = STRICT
    device_time: Instant
    business_date: IsoDate
    open: bool
    """The hall is in its opening hours (so silence and faults matter)."""
    waiting: dict[Id, Count] = Field(default_factory=dict, max_length=200)
    """Service code → residents waiting."""
    windows: list[WindowLive] = Field(default_factory=list, max_length=200)
    printer: PrinterHealth
    keypads: list[KeypadBusHealth] = Field(default_factory=list, max_length=20)
    outbox_backlog: Count
    disk_free_mb: int = Field(ge=0, le=100_000_000)
    software_version: Text100 = Field(max_length=40)
    config_version: Text100 = Field(max_length=40)
