"""The driver: futures, its owner thread, transports (TCP, a real pty serial line, a real file)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from drivers.printer import raster, samples
from drivers.printer.decode import StreamDecoder
from drivers.printer.documents import document_bytes
from drivers.printer.driver import NOT_QUERIED, PrinterDriver, PrintOutcome
from drivers.printer.settings import PrinterSettings
from drivers.printer.simulator import SimulatedPrinter
from drivers.printer.status import SCRIPTED_REPLIES, PrinterState, PrinterStatus

from .conftest import settings_for

ROOT = Path(__file__).resolve().parents[2]


def test_requests_return_futures_resolved_on_the_printer_thread(sim: SimulatedPrinter) -> None:
    sim.set_state("no_reply")
    seen: list[str] = []
    done = threading.Event()
    with PrinterDriver(settings_for(sim), name="hall-printer") as d:
        fut = d.check_status()  # returns at once; the read happens on the printer's own thread
        # Not done yet (the silent printer makes the read wait for its timeout), so the callback runs
        # on whichever thread resolves the future — which must be the printer's, never this one.
        assert not fut.done()
        fut.add_done_callback(lambda f: (seen.append(threading.current_thread().name), done.set()))
        assert fut.result(timeout=10).state is PrinterState.UNKNOWN
        assert done.wait(10)
    assert seen == ["hall-printer-owner"]
    assert sim.status_queries == 1  # no reply to the first query: the other three are not sent


def test_listener_hears_each_change_once(sim: SimulatedPrinter, driver: PrinterDriver) -> None:
    heard: list[PrinterStatus] = []
    driver.add_listener(heard.append)
    for state in ("ready", "ready", "paper_near_end", "paper_out", "paper_out", "ready"):
        sim.set_state(state)
        driver.check_status().result(timeout=10)
    assert [s.state.value for s in heard] == ["ready", "paper_near_end", "paper_out", "ready"]


def test_same_document_twice_prints_once_but_a_failed_one_may_retry(
    sim: SimulatedPrinter, driver: PrinterDriver
) -> None:
    doc = samples.ticket(ticket_id="tap-twice")
    first, second = driver.print_doc(doc), driver.print_doc(doc)
    assert first is second and first.result(timeout=10).ok
    sim.set_state("paper_out")
    failed = driver.print_doc(samples.ticket(ticket_id="jam")).result(timeout=10)
    assert failed.outcome is PrintOutcome.FAILED
    sim.set_state("ready")
    retry = driver.print_doc(samples.ticket(ticket_id="jam")).result(timeout=10)
    assert retry.outcome is PrintOutcome.PRINTED
    assert [j.qr_payloads for j in sim.wait_for_jobs(3)] == [["tap-twice"], ["jam"], ["jam"]]


def test_reconnects_after_the_printer_comes_back() -> None:
    first = SimulatedPrinter().start()
    port = first.port
    with PrinterDriver(settings_for(first)) as d:
        assert d.check_status().result(timeout=10).state is PrinterState.READY
        first.stop()
        lost = d.check_status().result(timeout=10)
        assert lost.state is PrinterState.UNKNOWN and lost.fault is not None
        assert lost.fault.code in ("link_lost", "cannot_connect", "no_reply")
        with SimulatedPrinter(port=port) as again:
            assert d.check_status().result(timeout=10).state is PrinterState.READY
            assert d.print_doc(samples.ticket()).result(timeout=10).outcome is PrintOutcome.PRINTED
            assert again.wait_for_jobs(1)[0].complete


def test_slow_serial_link_is_waited_for_not_misread_as_silence() -> None:
    # 19200 baud: the ticket takes ~0.2 s on the wire and the status reply queues behind it.
    settings = PrinterSettings(connection="simulated", port=0, baudrate=19200, status_timeout_s=2.0)
    with PrinterDriver(settings) as d:
        result = d.print_doc(samples.ticket()).result(timeout=30)
        assert d.simulator is not None
        (job,) = d.simulator.wait_for_jobs(1)
    assert result.outcome is PrintOutcome.PRINTED
    assert job.complete and job.qr_payloads == ["T20261126-A012-7F3K"]


def test_file_device_writes_the_exact_bytes_and_is_not_queried(tmp_path: Path) -> None:
    lp = tmp_path / "lp0"
    lp.touch()
    settings = PrinterSettings(connection="file", device=str(lp), answers_status=False)
    with PrinterDriver(settings) as d:
        assert d.check_status().result(timeout=10) is NOT_QUERIED
        result = d.print_doc(samples.ticket()).result(timeout=10)
    assert result.outcome is PrintOutcome.UNVERIFIED and result.fault is None
    assert lp.read_bytes() == document_bytes(samples.ticket(), settings)


def test_missing_file_device_is_cannot_connect(tmp_path: Path) -> None:
    settings = PrinterSettings(connection="file", device=str(tmp_path / "no" / "lp0"), answers_status=False)
    with PrinterDriver(settings) as d:
        result = d.print_doc(samples.ticket()).result(timeout=10)
    assert result.outcome is PrintOutcome.FAILED
    assert result.fault is not None and result.fault.code == "cannot_connect"


class PtyPrinter:
    """A printer at the far end of a real pseudo-terminal: the driver's Serial path, byte for byte."""

    def __init__(self, state: PrinterState = PrinterState.READY) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self.state = state
        self.decoder = StreamDecoder()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            replies = SCRIPTED_REPLIES[self.state]
            for n in self.decoder.feed(data):
                if replies is not None:
                    os.write(self.master, bytes([replies[n - 1]]))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    p = PtyPrinter()
    yield p
    p.close()


def test_serial_line_status_and_print(pty_printer: PtyPrinter) -> None:
    settings = PrinterSettings(
        connection="serial", device=pty_printer.path, baudrate=115200, status_timeout_s=1.0
    )
    with PrinterDriver(settings) as d:
        assert d.check_status().result(timeout=10).state is PrinterState.READY
        pty_printer.state = PrinterState.COVER_OPEN
        assert d.check_status().result(timeout=10).state is PrinterState.COVER_OPEN
        pty_printer.state = PrinterState.READY
        assert d.print_doc(samples.guide(("户口簿",))).result(timeout=10).outcome is PrintOutcome.PRINTED
    (job,) = pty_printer.decoder.jobs
    assert "经核对，您本次还缺以下材料：" in job.text()


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="needs `device`"):
        PrinterSettings(connection="serial")
    with pytest.raises(ValidationError, match="VID:PID"):
        PrinterSettings(connection="usb", device="/dev/usb/lp0")
    with pytest.raises(ValidationError):
        PrinterSettings(paper_width_mm=76)  # type: ignore[arg-type]
    assert PrinterSettings(connection="usb", device="0416:5011").device == "0416:5011"


def test_missing_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(raster.FONT_ENV, "/nonexistent/font.ttc")
    raster.find_cjk_font.cache_clear()
    try:
        with pytest.raises(raster.CjkFontNotFound, match="HALL_CJK_FONT"):
            raster.find_cjk_font()
    finally:
        monkeypatch.delenv(raster.FONT_ENV)
        raster.find_cjk_font.cache_clear()
    assert Path(raster.find_cjk_font().path).is_file()


def test_no_kivy_and_no_kiosk_imports() -> None:
    code = (
        "import sys; import drivers.printer.driver, drivers.printer.simulator, drivers.printer.ticketing_policy,"
        " drivers.printer.printouts; bad = [m for m in sys.modules if m.split('.')[0] in ('kivy', 'kiosk')];"
        " assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch, sim: SimulatedPrinter) -> None:
    monkeypatch.setenv(raster.FONT_ENV, "/nonexistent/font.ttc")
    raster.find_cjk_font.cache_clear()
    raster._font.cache_clear()
    try:
        # A Chinese printer still prints; the one rare character becomes □.
        doc = samples.ticket(hall_name="柏杨街道𬌗溪社区便民服务中心")
        assert "柏杨街道□溪社区".encode("gb18030") in document_bytes(doc, PrinterSettings())
        # A printer that needs every line as a picture cannot: the result says so, nothing is sent.
        with PrinterDriver(settings_for(sim, chinese=False)) as d:
            result = d.print_doc(samples.ticket()).result(timeout=10)
        assert result.outcome is PrintOutcome.FAILED
        assert result.fault is not None and result.fault.code == "render_failed"
        assert sim.jobs == []
    finally:
        monkeypatch.delenv(raster.FONT_ENV)
        raster.find_cjk_font.cache_clear()
        raster._font.cache_clear()
