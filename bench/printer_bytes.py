"""Printer bench: bytes on the wire for a standard ticket, and issue-request-to-last-byte latency.

    python bench/printer_bytes.py [--tickets 500]

The last line is one JSON object. Targets: a standard ticket at most 600 bytes in text mode; p99 of
issue request → last byte at the printer at most 30 ms over loopback TCP.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.printer import samples
from drivers.printer.documents import document_bytes
from drivers.printer.driver import PrinterDriver, PrintOutcome
from drivers.printer.settings import PrinterSettings
from drivers.printer.simulator import SimulatedPrinter


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(n: int) -> dict[str, float]:
    with SimulatedPrinter() as sim:
        settings = PrinterSettings(connection="network", port=sim.port)
        with PrinterDriver(settings, name="bench") as driver:
            driver.print_doc(samples.ticket(ticket_id="warm-up")).result(timeout=30)
            sim.wait_for_jobs(1)
            to_last_byte: list[float] = []
            status: list[float] = []
            for i in range(n):
                doc = samples.ticket(number=f"A{i % 1000:03d}", ticket_id=f"bench-{i:05d}")
                t0 = time.perf_counter()
                driver.check_status().result(timeout=30)
                status.append(time.perf_counter() - t0)
                t1 = time.perf_counter()
                result = driver.print_doc(doc).result(timeout=30)
                if result.outcome is not PrintOutcome.PRINTED:
                    raise RuntimeError(f"ticket {i}: {result}")
                job = sim.wait_for_jobs(i + 2)[i + 1]
                to_last_byte.append(job.finished_at - t1)
    ms = 1000.0
    return {
        "issue_to_last_byte_p50_ms": round(statistics.median(to_last_byte) * ms, 2),
        "issue_to_last_byte_p99_ms": round(percentile(to_last_byte, 0.99) * ms, 2),
        "issue_to_last_byte_max_ms": round(max(to_last_byte) * ms, 2),
        "status_check_p50_ms": round(statistics.median(status) * ms, 2),
        "status_check_p99_ms": round(percentile(status, 0.99) * ms, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=500)
    args = ap.parse_args()
    ticket = samples.ticket()
    text = len(document_bytes(ticket, PrinterSettings()))
    text58 = len(document_bytes(ticket, PrinterSettings(paper_width_mm=58)))
    raster = len(document_bytes(ticket, PrinterSettings(chinese=False)))
    out: dict[str, object] = {
        "ticket_bytes_text": text,
        "ticket_bytes_text_58mm": text58,
        "ticket_bytes_raster": raster,
        "text_seconds_9600": round(text * 10 / 9600, 3),
        "text_seconds_115200": round(text * 10 / 115200, 4),
        "raster_seconds_9600": round(raster * 10 / 9600, 2),
        "raster_seconds_115200": round(raster * 10 / 115200, 3),
        "tickets": args.tickets,
    }
    print(f"standard ticket: {text} bytes in text mode, {raster} bytes as raster fallback", flush=True)
    out.update(latency(args.tickets))
    out["target_text_bytes_ok"] = text <= 600
    out["target_p99_ok"] = float(out["issue_to_last_byte_p99_ms"]) <= 30.0  # type: ignore[arg-type]
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
