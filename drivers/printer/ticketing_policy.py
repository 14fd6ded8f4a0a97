"""What to do with a ticket given the printer's state — pure decisions, plus a reference issue flow.

The rule: the ticket is committed before anything is printed (no resident ever holds a number the
system does not know), a printer known to be bad never stops a resident from getting a number (it is
shown on screen with its QR code instead), and a print that fails after the commit leaves the ticket
valid with the failure written on its record for staff. Nothing is printed twice for one tap.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Protocol, TypeVar

from . import status as st
from .documents import TicketDoc
from .driver import PrintOutcome, PrintResult
from .status import PrinterFault, PrinterState, PrinterStatus

T = TypeVar("T")

_KEEP_NUMBER = "您的号已经取好，请记下屏幕上的号码，或用手机拍下屏幕上的二维码，叫号时以这个号码为准。"


class IssueMode(enum.Enum):
    PRINT = "print"
    """Print the ticket as usual."""
    PRINT_AND_SHOW = "print_and_show"
    """The printer's state is unknown: print, and also show the number and QR on screen."""
    SHOW_ONLY = "show_only"
    """The printer is known bad: issue the ticket on screen only, and call staff."""


@dataclass(frozen=True)
class IssueDecision:
    mode: IssueMode
    resident_message: str
    """Plain words for the screen; empty when there is nothing to say."""
    staff_alert: PrinterFault | None

    @property
    def print_ticket(self) -> bool:
        return self.mode is not IssueMode.SHOW_ONLY

    @property
    def show_on_screen(self) -> bool:
        return self.mode is not IssueMode.PRINT


def decide_before_issue(status: PrinterStatus) -> IssueDecision:
    """From a status read just before issuing, decide whether to print or show the ticket on screen."""
    if status.state in st.CAN_PRINT:
        return IssueDecision(IssueMode.PRINT, "", status.fault)
    if status.state.known_bad:
        reason = status.fault.reason if status.fault else "取号机暂时打不出号票。"
        return IssueDecision(
            IssueMode.SHOW_ONLY, f"{reason}{_KEEP_NUMBER}工作人员可以为您补打号票。", status.fault
        )
    if status.fault is None:  # status queries are switched off for this printer: print and trust it
        return IssueDecision(IssueMode.PRINT, "", None)
    return IssueDecision(
        IssueMode.PRINT_AND_SHOW, f"如果没有出号票，请不要重复取号。{_KEEP_NUMBER}", status.fault
    )


class TicketPrintState(enum.Enum):
    """What a ticket's record says about its paper copy."""

    PRINTED = "printed"
    UNVERIFIED = "unverified"
    PRINT_FAILED = "failed"
    SHOWN_ON_SCREEN = "on_screen"


@dataclass(frozen=True)
class PrintRecord:
    """The print outcome to store on the ticket row (and show staff when ``needs_staff``)."""

    state: TicketPrintState
    fault_code: str | None
    fault_detail: str
    staff_action: str
    needs_staff: bool
    show_on_screen: bool
    resident_message: str
    bytes_sent: int = 0

    @property
    def engine_status(self) -> str:
        """The engine's ``tickets.print_status`` vocabulary: ``printed``, ``failed`` or ``on_screen``.
        An unverified print that staff must check counts as ``on_screen`` (it was shown there)."""
        if self.state is TicketPrintState.UNVERIFIED:
            return "on_screen" if self.needs_staff else "printed"
        return self.state.value

    @property
    def error_text(self) -> str | None:
        """One line for ``tickets.print_error``: the stable code, what happened, what staff do."""
        if self.fault_code is None:
            return None
        detail = f"（{self.fault_detail}）" if self.fault_detail else ""
        return f"{self.fault_code}{detail}：{self.staff_action}"


def record_for(decision: IssueDecision, result: PrintResult | None) -> PrintRecord:
    """Combine the decision taken before issuing with the print result (None when not printed)."""
    if result is None:
        f = decision.staff_alert
        return PrintRecord(
            TicketPrintState.SHOWN_ON_SCREEN,
            f.code if f else None,
            f.detail if f else "",
            f.staff_action if f else "",
            needs_staff=True,
            show_on_screen=True,
            resident_message=decision.resident_message,
        )
    f = result.fault
    code, detail, action = (f.code, f.detail, f.staff_action) if f else (None, "", "")
    if result.outcome is PrintOutcome.FAILED:
        reason = f.reason if f else "号票没有打印出来。"
        message = f"{reason}{_KEEP_NUMBER}号票仍然有效，工作人员会为您补打。"
        return PrintRecord(
            TicketPrintState.PRINT_FAILED, code, detail, action, True, True, message, result.bytes_sent
        )
    state = (
        TicketPrintState.PRINTED if result.outcome is PrintOutcome.PRINTED else TicketPrintState.UNVERIFIED
    )
    unsure = result.outcome is PrintOutcome.UNVERIFIED and f is not None
    show = decision.show_on_screen or unsure
    message = decision.resident_message or (
        f"如果没有出号票，请不要重复取号。{_KEEP_NUMBER}" if unsure else ""
    )
    return PrintRecord(state, code, detail, action, f is not None, show, message, result.bytes_sent)


class _Driver(Protocol):
    def check_status(self) -> Future[PrinterStatus]: ...
    def print_doc(self, doc: TicketDoc) -> Future[PrintResult]: ...


@dataclass(frozen=True)
class IssueOutcome:
    doc: TicketDoc
    decision: IssueDecision
    result: PrintResult | None
    record: PrintRecord


def issue_ticket(
    driver: _Driver,
    commit: Callable[[IssueDecision], TicketDoc],
    save_record: Callable[[TicketDoc, PrintRecord], None],
    timeout_s: float = 30.0,
) -> IssueOutcome:
    """Reference flow: status → decide → ``commit`` (the ticket now exists) → print → ``save_record``.

    Blocks on the driver's futures, so call it from a worker thread, never the UI thread. If ``commit``
    raises, nothing is printed. If printing raises or times out, the ticket stays valid and its record
    says so.
    """
    try:
        before = driver.check_status().result(timeout_s)
    except FutureTimeout:
        before = PrinterStatus(PrinterState.UNKNOWN, fault=st.fault("no_reply", "status request timed out"))
    decision = decide_before_issue(before)
    doc = commit(decision)
    result: PrintResult | None = None
    if decision.print_ticket:
        try:
            result = driver.print_doc(doc).result(timeout_s)
        except Exception as exc:  # noqa: BLE001 - FutureTimeout or a driver bug: the ticket is committed all the same
            lost = st.fault("no_reply", f"print request did not finish: {exc!r}")
            result = PrintResult(PrintOutcome.FAILED, doc.key, 0, 0, None, lost)
    record = record_for(decision, result)
    save_record(doc, record)
    return IssueOutcome(doc, decision, result, record)
