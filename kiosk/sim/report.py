"""What the run prints, and the nightly summary it writes with --report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.report import format_summary

if TYPE_CHECKING:
    from kiosk.sim.day import DayResult


def print_report(r: DayResult) -> None:
    led = r.ledger
    print(f"simulated {r.day} in {r.real_seconds:.0f} s real — run directory {r.run_dir}")
    for at, text in led.timeline:
        print(f"  {at}  {text}")
    print(
        f"tickets {len(led.issued)}, double taps {led.double_taps}, refused {len(led.refused)}, "
        f"residents who waited for the dark kiosk {led.arrivals_delayed}; calls {len(led.calls)}, "
        f"finished {len(led.finished)}, no-shows {len(led.no_shows)}; rating presses {len(led.presses)}; "
        f"presses delayed for keypad spacing {led.spacing_delays}; clerk retries {led.staff_retries}"
    )
    for u in led.unexpected:
        print(f"  note: {u}")
    if r.centre_summary is not None:
        print(format_summary(r.config, r.centre_summary))
    for c in r.outcome.checks:
        print(f"[{'PASS' if c.ok else 'FAIL'}] {c.name} — {c.detail}")
    print("ALL CHECKS PASSED" if r.ok else "SOME CHECKS FAILED")


def write_reports(r: DayResult, path: Path) -> list[Path]:
    return []
