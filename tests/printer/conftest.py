"""Shared fixtures: a real loopback simulated printer and a driver talking to it over TCP."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The project is not installed into the venv; put the repository root first (as tests/keypad does).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from drivers.printer.driver import PrinterDriver  # noqa: E402
from drivers.printer.settings import PrinterSettings  # noqa: E402
from drivers.printer.simulator import SimulatedPrinter  # noqa: E402


@pytest.fixture
def sim() -> Iterator[SimulatedPrinter]:
    printer = SimulatedPrinter().start()
    yield printer
    printer.stop()


def settings_for(sim: SimulatedPrinter, **changes: object) -> PrinterSettings:
    """A network printer on the simulator's port (the path a real TCP 9100 printer takes)."""
    fields: dict[str, object] = {"connection": "network", "status_timeout_s": 0.3}
    fields.update(changes)
    if "port" not in fields:
        fields["port"] = sim.port
    return PrinterSettings(**fields)  # type: ignore[arg-type]


@pytest.fixture
def driver(sim: SimulatedPrinter) -> Iterator[PrinterDriver]:
    d = PrinterDriver(settings_for(sim)).start()
    yield d
    d.close()
