"""JSON forms of what the kiosk child answers (tickets, keypad results, engine results)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import Future
from typing import Any

from drivers.keypad.dispatch import Applied
from kiosk.services.runtime import TicketOutcome


def ticket_json(fut: Future[TicketOutcome], timeout: float) -> dict[str, Any]:
    out = fut.result(timeout)
    t = out.ticket
    if t is None:
        err = type(out.error).__name__ if out.error else "none"
        return {"error": err, "message": out.message}
    return {
        "id": t.id,
        "number": t.number,
        "created": t.created,
        "issued_at": t.issued_at.isoformat(),
        "printed": out.printed,
        "on_screen": out.on_screen,
        "fault": out.fault_code,
    }


def plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return getattr(value, "number", str(value))


def applied_json(a: Applied) -> dict[str, Any]:
    out: dict[str, Any] = {"operation": a.operation, "window": a.window, "result": plain(a.result)}
    if a.error is not None:
        out["error"] = type(a.error).__name__
        out["message"] = str(a.error)
    return out
