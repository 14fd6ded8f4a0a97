"""Round trips through the simulated printer over loopback TCP: what is decoded is what was issued."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from drivers.printer import samples
from drivers.printer.decode import QrCode, decode
from drivers.printer.documents import document_bytes
from drivers.printer.driver import PrinterDriver, PrintOutcome
from drivers.printer.settings import PrinterSettings
from drivers.printer.simulator import SimulatedPrinter

from .conftest import settings_for


def test_ticket_round_trip(sim: SimulatedPrinter, driver: PrinterDriver) -> None:
    doc = samples.ticket(number="B027", ticket_id="5d1c2f0e-7a3b-4d0e-9d61-2f1b8a6c4e90", windows=(2, 3))
    result = driver.print_doc(doc).result(timeout=10)
    assert result.outcome is PrintOutcome.PRINTED and result.bytes_sent == result.bytes_total
    (job,) = sim.wait_for_jobs(1)
    assert job.complete and job.cuts == 1 and job.printed
    lines = job.text().splitlines()
    big = [line for line in job.lines if line.scale == 4]
    assert [line.text for line in big] == ["B027"]
    assert "请到 2、3 号窗口等候叫号" in lines
    assert "您前面还有 5 人，预计等候 10～20 分钟" in lines
    assert "取号时间：2026-11-26 09:15" in lines
    assert "监督电话：023-51521234" in lines
    assert job.qr_payloads == ["5d1c2f0e-7a3b-4d0e-9d61-2f1b8a6c4e90"]
    assert bytes(job.raw) == document_bytes(doc, driver.settings)


def test_guide_round_trip_lists_exactly_the_missing_materials(
    sim: SimulatedPrinter, driver: PrinterDriver
) -> None:
    driver.print_doc(samples.guide(("户口簿",), window_number=2)).result(timeout=10)
    (job,) = sim.wait_for_jobs(1)
    text = job.text()
    lines = text.splitlines()
    after = lines[lines.index("经核对，您本次还缺以下材料：") + 1 :]
    assert after[0] == "1. 户口簿（原件及复印件）1 份"
    assert after[1].startswith("请补齐")
    assert "告知窗口：2 号窗口" in text
    assert job.qr_payloads == [] and job.cuts == 1


def test_day_slip_round_trip(sim: SimulatedPrinter, driver: PrinterDriver) -> None:
    driver.print_doc(samples.day_slip()).result(timeout=10)
    (job,) = sim.wait_for_jobs(1)
    assert job.lines[0].text == "日结单" and job.lines[0].scale == 2
    assert any(line.text.startswith("满意率") and line.text.endswith("97.2%") for line in job.lines)


def test_raster_fallback_round_trip(sim: SimulatedPrinter) -> None:
    with PrinterDriver(settings_for(sim, chinese=False)) as d:
        assert d.print_doc(samples.ticket()).result(timeout=10).ok
    (job,) = sim.wait_for_jobs(1)
    assert [line.text for line in job.lines if line.scale == 4] == ["A012"]
    assert job.qr_payloads == ["T20261126-A012-7F3K"]
    assert len(job.images) >= 2 and all(img.width <= 576 for img in job.images)
    # The pictures really carry ink: a Chinese line is not blank paper.
    assert any(img.convert("L").getextrema()[0] == 0 for img in job.images)


def test_decoder_reads_any_chunking_the_same(tmp_path: Path) -> None:
    from drivers.printer.decode import StreamDecoder

    data = document_bytes(samples.ticket(), PrinterSettings(chinese=False)) + document_bytes(
        samples.guide(("户口簿",)), PrinterSettings()
    )
    whole = decode(data)
    for step in (1, 7, 64, 1000):
        d = StreamDecoder()
        for i in range(0, len(data), step):
            assert d.feed(data[i : i + step]) == []
        d.finish()
        assert [j.text() for j in d.jobs] == [j.text() for j in whole]
        assert [bytes(j.raw) for j in d.jobs] == [bytes(j.raw) for j in whole]


def test_png_preview_from_the_real_bytes(
    sim: SimulatedPrinter, driver: PrinterDriver, tmp_path: Path
) -> None:
    driver.print_doc(samples.ticket()).result(timeout=10)
    (job,) = sim.wait_for_jobs(1)
    out = tmp_path / "ticket.png"
    job.png(out)
    with Image.open(out) as img:
        assert img.width == 576 + 32 and img.height > 400


def test_fifty_eight_mm_simulated_connection_starts_its_own_printer() -> None:
    settings = PrinterSettings(connection="simulated", port=0, paper_width_mm=58, baudrate=115200)
    with PrinterDriver(settings) as d:
        assert d.simulator is not None
        assert d.print_doc(samples.ticket()).result(timeout=10).outcome is PrintOutcome.PRINTED
        (job,) = d.simulator.wait_for_jobs(1)
    assert all(len(line.text.encode("gb18030")) <= 32 for line in job.lines if line.scale == 1)


def test_qr_settings_are_decoded(sim: SimulatedPrinter, driver: PrinterDriver) -> None:
    driver.print_doc(samples.ticket()).result(timeout=10)
    (job,) = sim.wait_for_jobs(1)
    (qr,) = [e for e in job.elements if isinstance(e, QrCode)]
    assert (qr.payload, qr.module, qr.ec) == ("T20261126-A012-7F3K", 6, "M")
