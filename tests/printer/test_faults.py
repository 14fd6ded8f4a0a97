"""Each printer fault, end to end: real queue engine and SQLite, driver over TCP, simulated printer.

For every case: no ghost (no ticket left without a print outcome on its record), no lost ticket
(nothing printed that the engine does not know), and the record says what happened.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from drivers.printer.documents import TicketDoc
from drivers.printer.driver import PrinterDriver, PrintOutcome
from drivers.printer.simulator import SimulatedPrinter
from drivers.printer.ticketing_policy import IssueMode, IssueOutcome, issue_ticket
from kiosk.config.loader import load_config
from kiosk.config.schema import HallConfig
from kiosk.db import models as m
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.issuing import IssuedTicket
from kiosk.services.documents import ticket_doc, ticket_qr_text
from tests.printer.issue_guard import IssueGuard

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "pension_enrol"


class Hall:
    def __init__(self, cfg: HallConfig, engine: QueueEngine) -> None:
        self.cfg, self.engine = cfg, engine

    def doc(self, t: IssuedTicket, reprint: bool = False) -> TicketDoc:
        # The kiosk's own builder: the printed ticket is the one the kiosk would print.
        return ticket_doc(self.cfg, t, reprint=reprint)

    def issue(
        self,
        driver: PrinterDriver,
        request_id: str | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> IssueOutcome:
        def commit(_decision: object) -> TicketDoc:
            if before_commit is not None:
                before_commit()
            return self.doc(self.engine.issue(SERVICE, request_id=request_id))

        def save(doc: TicketDoc, rec: object) -> None:
            self.engine.record_print_result(doc.ticket_id, rec.engine_status, rec.error_text)  # type: ignore[attr-defined]

        return issue_ticket(driver, commit, save, timeout_s=20)

    def ticket(self, ticket_id: str) -> m.Ticket:
        t = self.engine.ticket(ticket_id)
        assert t is not None
        return t

    def count(self) -> int:
        return int(self.engine.db.read(lambda s: s.scalar(select(func.count()).select_from(m.Ticket))) or 0)

    def assert_no_ghost_no_lost(self, sim: SimulatedPrinter) -> None:
        tickets = self.engine.db.read(lambda s: s.scalars(select(m.Ticket)).all())
        assert all(t.print_status != "pending" for t in tickets), "a ticket without a print outcome"
        known = {f"号码：{t.number}" for t in tickets}
        printed = {p.splitlines()[1] for job in sim.jobs for p in job.qr_payloads}
        assert printed <= known, "paper carrying a ticket the system does not know"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    cfg = load_config(ROOT / "assets" / "hall.sample.yaml")
    db = Database(tmp_path_factory.mktemp("hall") / "kiosk.db")
    clock = ManualClock(dt.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    yield Hall(cfg, QueueEngine(cfg, db, clock=clock))
    db.close()


def test_ready_printer_prints_and_records_printed(
    hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver
) -> None:
    out = hall.issue(driver)
    assert out.decision.mode is IssueMode.PRINT and out.result is not None
    assert out.result.outcome is PrintOutcome.PRINTED
    (job,) = sim.wait_for_jobs(1)
    assert job.qr_payloads == [out.doc.qr_payload] and out.doc.number in job.text()
    t = hall.ticket(out.doc.ticket_id)
    assert (t.print_status, t.print_error) == ("printed", None)
    hall.assert_no_ghost_no_lost(sim)


def test_paper_near_end_prints_and_tells_staff(
    hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver
) -> None:
    sim.set_state("paper_near_end")
    out = hall.issue(driver)
    assert out.record.state.value == "printed" and out.record.needs_staff and not out.record.show_on_screen
    assert sim.wait_for_jobs(1)[0].printed
    t = hall.ticket(out.doc.ticket_id)
    assert t.print_status == "printed" and (t.print_error or "").startswith("paper_near_end")


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "cutter_error", "offline"])
def test_known_bad_printer_issues_on_screen_and_prints_nothing(
    hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver, state: str
) -> None:
    sim.set_state(state)
    before = hall.count()
    out = hall.issue(driver)
    assert out.decision.mode is IssueMode.SHOW_ONLY and out.result is None
    assert out.record.show_on_screen and out.record.needs_staff
    assert "屏幕上的号码" in out.record.resident_message
    assert hall.count() == before + 1  # the resident still has a number the system knows
    assert sim.jobs == []  # nothing was sent to a printer known to be bad
    t = hall.ticket(out.doc.ticket_id)
    assert t.print_status == "on_screen" and (t.print_error or "").startswith(state)
    assert t.status == "waiting"
    assert out.doc.ticket_id in {row[0] for row in hall.engine.print_failures()}
    hall.assert_no_ghost_no_lost(sim)


def test_silent_printer_prints_and_also_shows_on_screen(
    hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver
) -> None:
    sim.set_state("no_reply")
    out = hall.issue(driver)
    assert out.decision.mode is IssueMode.PRINT_AND_SHOW
    assert out.result is not None and out.result.outcome is PrintOutcome.UNVERIFIED
    assert out.record.show_on_screen and "不要重复取号" in out.record.resident_message
    assert sim.wait_for_jobs(1)[0].qr_payloads == [out.doc.qr_payload]
    t = hall.ticket(out.doc.ticket_id)
    assert t.print_status == "on_screen" and (t.print_error or "").startswith("no_reply")
    hall.assert_no_ghost_no_lost(sim)


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "cutter_error", "offline"])
def test_fault_after_commit_keeps_the_ticket_valid_and_recorded(
    hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver, state: str
) -> None:
    out = hall.issue(driver, before_commit=lambda: sim.set_state(state))  # it happens between check and print
    assert out.decision.mode is IssueMode.PRINT
    assert out.result is not None and out.result.outcome is PrintOutcome.FAILED
    assert out.result.fault is not None and out.result.fault.code == state
    (job,) = sim.wait_for_jobs(1)
    assert not job.printed
    assert out.record.show_on_screen and "仍然有效" in out.record.resident_message
    t = hall.ticket(out.doc.ticket_id)
    assert (t.print_status, t.status) == ("failed", "waiting")
    assert (t.print_error or "").startswith(state)
    hall.assert_no_ghost_no_lost(sim)


def test_disconnect_mid_job_then_reprint_marked(
    hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver
) -> None:
    sim.disconnect_after(120)
    out = hall.issue(driver)
    assert out.result is not None and out.result.outcome is PrintOutcome.FAILED
    assert out.result.fault is not None and out.result.fault.code == "link_lost"
    (cut_short,) = sim.wait_for_jobs(1)
    assert not cut_short.complete and cut_short.cuts == 0
    assert len(cut_short.raw) < out.result.bytes_total  # the paper holds only the first part
    t = hall.ticket(out.doc.ticket_id)
    assert t.print_status == "failed" and (t.print_error or "").startswith("link_lost")
    assert "补打" in (t.print_error or "")

    # Staff reprint from the failure list: the driver reconnects and the paper says 补打.
    issued = hall.engine.describe_ticket(out.doc.ticket_id)
    again = driver.print_doc(hall.doc(issued, reprint=True)).result(timeout=20)
    assert again.outcome is PrintOutcome.PRINTED
    hall.engine.record_print_result(issued.id, "printed", None, reprint=True)
    reprinted = sim.wait_for_jobs(2)[1]
    assert (
        reprinted.complete
        and "【补打】" in reprinted.text()
        and reprinted.qr_payloads == [ticket_qr_text(hall.cfg, issued)]
    )
    t = hall.ticket(issued.id)
    assert (t.print_status, t.reprints) == ("printed", 1)
    hall.assert_no_ghost_no_lost(sim)


def test_cannot_connect_issues_and_prints_attempt_recorded(hall: Hall, sim: SimulatedPrinter) -> None:
    port = sim.port
    sim.stop()  # the printer is switched off: connection refused
    from .conftest import settings_for

    with PrinterDriver(settings_for(sim, port=port)) as d:
        out = hall.issue(d)
    assert out.decision.mode is IssueMode.PRINT_AND_SHOW
    assert out.result is not None and out.result.outcome is PrintOutcome.FAILED
    t = hall.ticket(out.doc.ticket_id)
    assert t.print_status == "failed" and (t.print_error or "").startswith("cannot_connect")


def test_commit_failure_prints_nothing(hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver) -> None:
    def refuse() -> None:
        raise RuntimeError("database is gone")

    before = hall.count()
    with pytest.raises(RuntimeError):
        hall.issue(driver, before_commit=refuse)
    assert hall.count() == before and sim.jobs == []


def test_double_tap_issues_and_prints_once(hall: Hall, sim: SimulatedPrinter, driver: PrinterDriver) -> None:
    before = hall.count()
    first = hall.issue(driver, request_id="kiosk1-tap-7")
    second = hall.issue(driver, request_id="kiosk1-tap-7")  # the same request id repeated
    assert first.doc == second.doc
    guard: IssueGuard[IssueOutcome] = IssueGuard(cooldown_s=60)
    results: list[tuple[IssueOutcome, bool]] = []
    start = threading.Barrier(2)

    def tap() -> None:
        start.wait()
        results.append(guard.run(SERVICE, lambda: hall.issue(driver)))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert sorted(new for _, new in results) == [False, True]
    assert results[0][0].doc == results[1][0].doc
    assert hall.count() == before + 2
    jobs = sim.wait_for_jobs(2)
    assert len(jobs) == 2 and len({p for j in jobs for p in j.qr_payloads}) == 2
    hall.assert_no_ghost_no_lost(sim)
