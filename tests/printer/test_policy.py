"""The pure issue-and-print policy, and the double-tap guard."""

from __future__ import annotations

import pytest

from drivers.printer import status as st
from drivers.printer.driver import NOT_QUERIED, PrintOutcome, PrintResult
from drivers.printer.status import SCRIPTED_REPLIES, PrinterState, PrinterStatus
from drivers.printer.ticketing_policy import (
    IssueMode,
    TicketPrintState,
    decide_before_issue,
    record_for,
)
from tests.printer.issue_guard import IssueGuard


def status_of(state: PrinterState) -> PrinterStatus:
    replies = SCRIPTED_REPLIES[state]
    return st.decode_replies(dict(zip(st.QUERIES, replies, strict=True)) if replies else {1: None})


@pytest.mark.parametrize(
    ("state", "mode"),
    [
        (PrinterState.READY, IssueMode.PRINT),
        (PrinterState.PAPER_NEAR_END, IssueMode.PRINT),
        (PrinterState.PAPER_OUT, IssueMode.SHOW_ONLY),
        (PrinterState.COVER_OPEN, IssueMode.SHOW_ONLY),
        (PrinterState.CUTTER_ERROR, IssueMode.SHOW_ONLY),
        (PrinterState.OFFLINE, IssueMode.SHOW_ONLY),
        (PrinterState.UNKNOWN, IssueMode.PRINT_AND_SHOW),
    ],
)
def test_decision_per_state(state: PrinterState, mode: IssueMode) -> None:
    d = decide_before_issue(status_of(state))
    assert d.mode is mode
    assert d.print_ticket == (mode is not IssueMode.SHOW_ONLY)
    assert bool(d.resident_message) == d.show_on_screen
    if d.show_on_screen:
        assert "号" in d.resident_message and "\n" not in d.resident_message
    assert (d.staff_alert is None) == (state is PrinterState.READY)


def test_printer_not_queried_is_trusted() -> None:
    d = decide_before_issue(NOT_QUERIED)
    assert d.mode is IssueMode.PRINT and d.staff_alert is None
    result = PrintResult(PrintOutcome.UNVERIFIED, "k", 300, 300, NOT_QUERIED)
    rec = record_for(d, result)
    assert (rec.state, rec.engine_status, rec.needs_staff, rec.error_text) == (
        TicketPrintState.UNVERIFIED,
        "printed",
        False,
        None,
    )


def test_records_map_to_the_engine_vocabulary() -> None:
    bad = decide_before_issue(status_of(PrinterState.PAPER_OUT))
    shown = record_for(bad, None)
    assert (
        shown.engine_status == "on_screen" and shown.error_text and shown.error_text.startswith("paper_out")
    )
    ok = decide_before_issue(status_of(PrinterState.READY))
    lost = st.fault("link_lost", "100 of 372 bytes")
    failed = record_for(ok, PrintResult(PrintOutcome.FAILED, "k", 372, 100, None, lost))
    assert failed.engine_status == "failed" and failed.show_on_screen and failed.bytes_sent == 100
    assert failed.error_text is not None and "100 of 372 bytes" in failed.error_text
    printed = record_for(ok, PrintResult(PrintOutcome.PRINTED, "k", 372, 372, status_of(PrinterState.READY)))
    assert (printed.engine_status, printed.needs_staff, printed.show_on_screen) == ("printed", False, False)


def test_guard_returns_the_first_result_within_cooldown_then_issues_again() -> None:
    now = [100.0]
    guard: IssueGuard[int] = IssueGuard(cooldown_s=2.0, clock=lambda: now[0])
    counter = iter(range(1, 100))
    assert guard.run("pension", lambda: next(counter)) == (1, True)
    now[0] += 1.0
    assert guard.run("pension", lambda: next(counter)) == (1, False)
    assert guard.run("medical", lambda: next(counter)) == (2, True)
    now[0] += 5.0
    assert guard.run("pension", lambda: next(counter)) == (3, True)


def test_guard_lets_the_next_tap_through_after_a_failure() -> None:
    guard: IssueGuard[str] = IssueGuard(cooldown_s=60)

    def boom() -> str:
        raise RuntimeError("hall closed")

    with pytest.raises(RuntimeError):
        guard.run("k", boom)
    assert guard.run("k", lambda: "ok") == ("ok", True)
