"""The ticket desk: check the printer, commit the ticket, print it, record what happened.

The order is the promise the ticket makes: the ticket exists in the database before a byte is
printed (no resident holds a number the system does not know), a printer known to be bad never
stops a resident from getting a number (it is shown on screen instead), and a failed print leaves
the ticket valid with the failure on its record for staff (no ghost is counted as handed out
without the record saying so).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from drivers.printer.documents import TicketDoc
from drivers.printer.driver import PrinterDriver, PrintResult
from drivers.printer.status import PrinterState, PrinterStatus
from drivers.printer.ticketing_policy import (
    IssueMode,
    PrintRecord,
    TicketPrintState,
    issue_ticket,
)
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DomainError
from kiosk.engine.issuing import IssuedTicket
from kiosk.services.documents import ticket_doc
from sync.contract.enums import PRINTED_STATUSES, UNPRINTED_STATUSES, PrintStatus

log = logging.getLogger(__name__)

_PRINT_STATUS = {
    TicketPrintState.PRINTED: PrintStatus.PRINTED,
    TicketPrintState.UNVERIFIED: PrintStatus.UNVERIFIED,
    TicketPrintState.PRINT_FAILED: PrintStatus.FAILED,
    TicketPrintState.SHOWN_ON_SCREEN: PrintStatus.ON_SCREEN,
}


@dataclass
class TicketOutcome:
    ticket: IssuedTicket | None
    printed: bool = False
    on_screen: bool = False
    message: str = ""
    staff_action: str = ""
    error: DomainError | None = None
    fault_code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class TicketDesk:
    def __init__(self, engine: QueueEngine, printer: PrinterDriver | None, timeout_s: float = 30.0):
        self.engine = engine
        self.printer = printer
        self.timeout_s = timeout_s

    def issue(self, service_code: str, priority: str | None, request_id: str) -> TicketOutcome:
        """Blocking: call from a worker thread. A repeated request id returns the same ticket."""
        if self.printer is None:
            return self._issue_without_printer(service_code, priority, request_id)
        # The status query goes out now and is answered on the printer thread while the ticket
        # commits: the ticket is issued whatever the printer says (a bad printer only changes how it
        # is handed over), so the two need not wait for each other.
        status = self.printer.check_status()
        try:
            t = self.engine.issue(service_code, priority, request_id)
        except DomainError as exc:
            return TicketOutcome(None, error=exc, message=exc.message)
        if not t.created:
            return self._describe_existing(t)
        doc = ticket_doc(self.engine.config, t)

        def save(_doc: TicketDoc, record: PrintRecord) -> None:
            detail = " ".join(x for x in (record.fault_code, record.fault_detail) if x) or None
            self.engine.record_print_result(t.id, _PRINT_STATUS[record.state], detail)

        outcome = issue_ticket(_Prefetched(self.printer, status), lambda _d: doc, save, self.timeout_s)
        rec = outcome.record
        return TicketOutcome(
            t,
            printed=rec.state in (TicketPrintState.PRINTED, TicketPrintState.UNVERIFIED),
            on_screen=rec.show_on_screen or outcome.decision.mode is IssueMode.SHOW_ONLY,
            message=rec.resident_message,
            staff_action=rec.staff_action,
            fault_code=rec.fault_code,
        )

    def _issue_without_printer(
        self, service_code: str, priority: str | None, request_id: str
    ) -> TicketOutcome:
        try:
            t = self.engine.issue(service_code, priority, request_id)
        except DomainError as exc:
            return TicketOutcome(None, error=exc, message=exc.message)
        if t.created:
            self.engine.record_print_result(t.id, PrintStatus.ON_SCREEN, "no printer configured")
        return TicketOutcome(t, on_screen=True, message="请记下屏幕上的号码，叫号时以这个号码为准。")

    def _describe_existing(self, t: IssuedTicket) -> TicketOutcome:
        row = self.engine.ticket(t.id)
        status = row.print_status if row else PrintStatus.PENDING
        return TicketOutcome(
            t,
            printed=status in PRINTED_STATUSES,
            on_screen=status in UNPRINTED_STATUSES,
            message="" if status in PRINTED_STATUSES else "请记下屏幕上的号码，叫号时以这个号码为准。",
            extra={"repeat": True},
        )

    def reprint(self, ticket_id: str) -> TicketOutcome:
        """补打: print the ticket again, marked as a reprint, and count it on the record."""
        t = self.engine.describe_ticket(ticket_id)
        if self.printer is None:
            return TicketOutcome(t, on_screen=True, message="没有配置打印机")
        result: PrintResult = self.printer.print_doc(ticket_doc(self.engine.config, t, reprint=True)).result(
            self.timeout_s
        )
        status = PrintStatus.PRINTED if result.ok else PrintStatus.FAILED
        detail = f"{result.fault.code} {result.fault.detail}".strip() if result.fault else None
        self.engine.record_print_result(t.id, status, detail, reprint=True)
        return TicketOutcome(
            t,
            printed=result.ok,
            on_screen=not result.ok,
            message="" if result.ok else (result.fault.reason if result.fault else "补打失败"),
            staff_action=result.fault.staff_action if result.fault else "",
            fault_code=result.fault.code if result.fault else None,
        )


class _Prefetched:
    """The printer driver with its status answer already requested."""

    def __init__(self, printer: PrinterDriver, status: Future[PrinterStatus]):
        self._printer = printer
        self._status = status

    def check_status(self) -> Future[PrinterStatus]:
        return self._status

    def print_doc(self, doc: TicketDoc) -> Future[PrintResult]:
        return self._printer.print_doc(doc)


def printer_state(printer: PrinterDriver | None) -> PrinterStatus:
    if printer is None or printer.last_status is None:
        return PrinterStatus(PrinterState.UNKNOWN)
    return printer.last_status
