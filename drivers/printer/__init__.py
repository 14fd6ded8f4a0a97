"""Ticket printer: python-escpos transports, Chinese text mode with raster fallback, real-time status,
three documents, and a simulated printer for the demo and the tests. No Kivy, no kiosk imports."""

from .documents import DaySlipDoc, GuideDoc, Material, TicketDoc, document_bytes
from .driver import PrinterDriver, PrintOutcome, PrintResult
from .settings import PrinterSettings
from .status import PrinterFault, PrinterState, PrinterStatus

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
