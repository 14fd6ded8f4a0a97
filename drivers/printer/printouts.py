"""Print the sample documents: PNG previews rendered by the simulated printer from the real bytes
(``docs/printouts/``), or the same documents on a real network printer for an installation check.

    python -m drivers.printer.printouts docs/printouts
    python -m drivers.printer.printouts --host 192.168.1.50      # print them on a real printer
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import samples
from .documents import Doc
from .driver import PrinterDriver
from .settings import PrinterSettings

SAMPLES: dict[str, Doc] = {
    "ticket": samples.ticket(),
    "ticket-priority-reprint": samples.ticket(priority_label="70 岁以上老人", reprint=True),
    "guide-at-window-missing": samples.guide(("户口簿", "银行卡"), window_number=3),
    "guide-from-kiosk": samples.guide(),
    "day-slip": samples.day_slip(),
}


def render_previews(out: Path, paper_width_mm: int = 80, chinese: bool = True) -> list[Path]:
    """Send every sample through the driver to an in-process simulated printer; save one PNG per job."""
    settings = PrinterSettings(
        connection="simulated", port=0, baudrate=10_000_000, paper_width_mm=paper_width_mm, chinese=chinese
    )
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with PrinterDriver(settings, name="printouts") as driver:
        assert driver.simulator is not None
        for i, (name, doc) in enumerate(SAMPLES.items(), 1):
            result = driver.print_doc(doc).result(timeout=30)
            if not result.ok:
                raise RuntimeError(f"{name}: {result.fault}")
            job = driver.simulator.wait_for_jobs(i)[i - 1]
            suffix = (
                ""
                if paper_width_mm == 80 and chinese
                else f"-{paper_width_mm}mm" + ("" if chinese else "-raster")
            )
            path = out / f"{name}{suffix}.png"
            job.png(path, settings.dots)
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", type=Path, default=Path("docs/printouts"))
    ap.add_argument("--host", help="print the samples on this network printer instead")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--paper", type=int, choices=(80, 58), default=80)
    args = ap.parse_args(argv)
    if args.host:
        settings = PrinterSettings(
            connection="network", host=args.host, port=args.port, paper_width_mm=args.paper
        )
        with PrinterDriver(settings) as driver:
            print("status:", driver.check_status().result(timeout=30).state.value)
            for name, doc in SAMPLES.items():
                r = driver.print_doc(doc).result(timeout=120)
                print(
                    f"{name}: {r.outcome.value} ({r.bytes_sent} bytes){' ' + r.fault.code if r.fault else ''}"
                )
        return
    for path in render_previews(args.out, args.paper):
        print(path)


if __name__ == "__main__":
    main()
