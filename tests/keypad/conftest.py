"""Shared helpers: a real pty-backed simulated bus, and polling waits (never sleeps as assertions)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The project is not installed into the venv and pyproject sets no pytest ``pythonpath``, so
# ``.venv/bin/pytest tests/keypad`` would not find ``drivers``; put the repository root first.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from drivers.keypad.simulator import SimulatedKeypadBus  # noqa: E402


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.005) -> bool:
    """Poll ``predicate`` until it is truthy; generous timeout so a slow machine only waits longer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


@pytest.fixture
def sim(tmp_path) -> Iterator[SimulatedKeypadBus]:
    with SimulatedKeypadBus(tmp_path) as s:
        yield s
