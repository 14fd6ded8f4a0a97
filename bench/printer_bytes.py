"""Printer bench: bytes on the wire for a standard ticket, and issue request → last byte, end to end.

    python bench/printer_bytes.py [--tickets 500] [--dir DIR]

The latency runs the kiosk's real ticket flow (KioskRuntime.issue_ticket → the desk thread): printer
status query → ticket committed to SQLite (WAL, synchronous=FULL, in --dir) → ticket printed on the
simulated printer over loopback TCP → print result recorded (a second commit). Two figures per ticket,
from the request: the printer's last byte (what the resident waits for), and the print result on
record (the request's future resolves). Failed prints are counted and stay in the samples.

The last line is one JSON object. Targets: a standard ticket at most 600 bytes in text mode; p99 of
issue request → last byte at the printer at most 30 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.conditions import Conditions, data_dir, summary
from drivers.printer import samples
from drivers.printer.documents import document_bytes
from drivers.printer.settings import PrinterSettings

# 09:05 on Thursday 2026-11-26, Asia/Shanghai: a working day, the morning session open.
START = dt.datetime(2026, 11, 26, 1, 5, tzinfo=dt.UTC)
SERVICES = ("pension_enrol", "medical_insurance", "social_card", "residence_proof", "minimum_living")


def latency(n: int, where: Path, baud: int | None) -> dict[str, object]:
    from drivers.printer.simulator import SimulatedPrinter
    from kiosk.config.loader import load_config
    from kiosk.config.schema import HallConfig
    from kiosk.engine.clock import ManualClock
    from kiosk.services.runtime import build_runtime

    data = load_config(Path(__file__).resolve().parents[1] / "assets" / "hall.sample.yaml").model_dump()
    for service in data["services"]:
        service["daily_cap"] = 999  # 500 tickets in one morning
    sim = SimulatedPrinter(baud=baud).start()  # a network printer on loopback TCP; with --baud, a slow line
    data["devices"]["printer"].update(connection="network", host="127.0.0.1", port=sim.port)
    config = HallConfig.model_validate(data)
    clock = ManualClock(START)
    rt = build_runtime(config, where / "data", clock=clock).start()
    cond = Conditions(where)
    try:
        warm = rt.issue_ticket("pension_enrol", None, "warm-up").result(30)
        assert warm.printed, warm
        jobs = len(sim.wait_for_jobs(1))
        to_last_byte: list[float] = []
        to_recorded: list[float] = []
        failed: list[str] = []
        for i in range(n):
            clock.advance(2.0)
            t0 = time.perf_counter()
            out = rt.issue_ticket(SERVICES[i % len(SERVICES)], None, f"bench-{i:05d}").result(30)
            t1 = time.perf_counter()
            to_recorded.append((t1 - t0) * 1000)
            if not out.printed or out.ticket is None:
                failed.append(out.message)
                continue
            jobs += 1
            job = sim.wait_for_jobs(jobs)[jobs - 1]
            if out.ticket.number not in job.text():
                failed.append(f"job {jobs} is not ticket {out.ticket.number}")
                continue
            to_last_byte.append((job.finished_at - t0) * 1000)
        conditions = cond.finish(printer_line=f"{baud} baud" if baud else "loopback TCP, no line emulation")
    finally:
        rt.stop()
        sim.stop()
    return {
        "issue_to_last_byte_ms": summary(to_last_byte),
        "issue_to_recorded_ms": summary(to_recorded),
        "failed_prints": len(failed),
        "failures": failed[:5],
        "conditions": conditions,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=500)
    ap.add_argument("--dir", type=Path, help="where the kiosk's SQLite file lives (default: a temp dir)")
    ap.add_argument("--baud", type=int, help="emulate a serial printer line of this speed (default: none)")
    args = ap.parse_args()
    ticket = samples.ticket()
    text = len(document_bytes(ticket, PrinterSettings()))
    text58 = len(document_bytes(ticket, PrinterSettings(paper_width_mm=58)))
    raster = len(document_bytes(ticket, PrinterSettings(chinese=False)))
    out: dict[str, object] = {
        "bench": "printer_bytes",
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
    with data_dir(args.dir, "printer-bench-") as where:
        out.update(latency(args.tickets, where, args.baud))
    last = out["issue_to_last_byte_ms"]
    assert isinstance(last, dict)
    out["target_text_bytes_ok"] = text <= 600
    out["target_p99_ok"] = bool(last.get("p99", 1e9) <= 30.0) and out["failed_prints"] == 0
    print(
        f"issue request → last byte: p50 {last.get('p50')} ms, p99 {last.get('p99')} ms over {last['n']} "
        f"tickets, {out['failed_prints']} failed prints",
        flush=True,
    )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
