"""One snapshot of everything staff need to see about the kiosk's devices and sync."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from drivers.keypad.transport import LinkState
from drivers.printer.status import PrinterState
from sync.client.state import SyncPhase


@dataclass(frozen=True)
class KeypadHealthView:
    address: int
    window: int | None
    last_seen: dt.datetime | None
    silent: bool
    not_understood: int = 0
    """Frames seen from this keypad that are no known key (a mismatched vendor shows here)."""


@dataclass(frozen=True)
class BusHealthView:
    name: str
    state: LinkState
    last_error: str | None
    keypads: list[KeypadHealthView] = field(default_factory=list)
    frames_ok: int = 0
    frames_dropped: int = 0


@dataclass(frozen=True)
class SyncHealthView:
    state: SyncPhase
    backlog: int
    last_success: dt.datetime | None
    last_error: str | None


@dataclass(frozen=True)
class BoardClientView:
    """A call board or window screen that watches the hall (its page, the address it connects from)."""

    page: str
    address: str
    connected: bool
    last_seen: dt.datetime


@dataclass(frozen=True)
class BoardHealthView:
    url: str
    error: str | None
    clients: tuple[BoardClientView, ...] = ()


@dataclass(frozen=True)
class Health:
    printer_state: PrinterState
    printer_message: str
    printer_action: str
    buses: list[BusHealthView]
    sync: SyncHealthView
    db_error: str | None
    print_failures: list[tuple[str, str, str | None]]
    out_of_service_reason: str | None
    notices: tuple[str, ...] = ()
    """Things staff should know that are not faults (e.g. next year's holidays are unknown)."""
    boards: BoardHealthView | None = None
    """The call board's address and the boards and window screens connected to it (None: no board)."""
    db_queue: int = 0
    """Changes waiting for the database writer; more than a handful means the disk is slow."""
