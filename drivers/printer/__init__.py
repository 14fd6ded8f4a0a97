"""Ticket printer: python-escpos transports, Chinese text mode with raster fallback, real-time status,
three documents, and a simulated printer for the demo and the tests. No Kivy, no kiosk imports.

The names below load on first use, so importing ``drivers.printer.settings`` (as the hall config does)
loads neither python-escpos, pyserial nor Pillow."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .documents import DaySlipDoc, GuideDoc, Material, TicketDoc, document_bytes
    from .driver import PrinterDriver, PrintOutcome, PrintResult
    from .settings import PrinterSettings
    from .status import PrinterFault, PrinterState, PrinterStatus

_WHERE = {
    "DaySlipDoc": "documents",
    "GuideDoc": "documents",
    "Material": "documents",
    "TicketDoc": "documents",
    "document_bytes": "documents",
    "PrintOutcome": "driver",
    "PrintResult": "driver",
    "PrinterDriver": "driver",
    "PrinterSettings": "settings",
    "PrinterFault": "status",
    "PrinterState": "status",
    "PrinterStatus": "status",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "DaySlipDoc",
    "GuideDoc",
    "Material",
    "PrintOutcome",
    "PrintResult",
    "PrinterDriver",
    "PrinterFault",
    "PrinterSettings",
    "PrinterState",
    "PrinterStatus",
    "TicketDoc",
    "document_bytes",
]
