"""Print failures in the day figures: failed and on-screen tickets count until reprinted."""

from __future__ import annotations

from kiosk.engine.engine import QueueEngine


def test_tickets_without_paper_count_until_reprinted(engine: QueueEngine) -> None:
    a = engine.issue("pension_enrol")
    b = engine.issue("pension_enrol")
    c = engine.issue("pension_enrol")
    engine.record_print_result(a.id, "printed")
    engine.record_print_result(b.id, "failed", "link_lost")
    engine.record_print_result(c.id, "on_screen", "paper_out")
    assert engine.summary().hall.print_failures == 2
    engine.record_print_result(c.id, "printed", reprint=True)
    assert engine.summary().hall.print_failures == 1
