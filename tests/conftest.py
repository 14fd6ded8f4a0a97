"""Shared, generic fixtures: the sample hall config, a manual clock on a working morning, a real
SQLite database in tmp_path, and a QueueEngine over them. No autouse fixtures here."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The project is not installed into the venv; make `kiosk`, `drivers` and `sync` importable.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kiosk.config.loader import load_config  # noqa: E402
from kiosk.config.schema import HallConfig  # noqa: E402
from kiosk.db.database import Database  # noqa: E402
from kiosk.engine.clock import ManualClock  # noqa: E402
from kiosk.engine.engine import QueueEngine  # noqa: E402

SAMPLE_CONFIG = ROOT / "assets" / "hall.sample.yaml"
# 09:30 on Thursday 2026-11-26 in Asia/Shanghai: a working day, the morning session is open.
WORKING_MORNING = dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def sample_config() -> HallConfig:
    """assets/hall.sample.yaml, loaded once (HallConfig is frozen)."""
    return load_config(SAMPLE_CONFIG)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(WORKING_MORNING)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "kiosk.db")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def engine(sample_config: HallConfig, db: Database, clock: ManualClock) -> QueueEngine:
    return QueueEngine(sample_config, db, clock)


FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def report_figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """A line for the end of the run (shown under ``-q`` too), e.g. how many power cuts were made."""

    def add(line: str) -> None:
        request.config.stash.setdefault(FIGURES, []).append(line)

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many PostgreSQL cases ran: CI must show the production store was tested, not skipped."""
    for line in terminalreporter.config.stash.get(FIGURES, []):
        terminalreporter.write_line(line)
    worst: dict[str, str] = {}  # per case: failed or error beats skipped beats passed
    rank = {"passed": 0, "skipped": 1, "error": 2, "failed": 2}
    for outcome in rank:
        for r in terminalreporter.stats.get(outcome, []):
            if (
                "postgres" in getattr(r, "keywords", {})
                and rank[outcome] >= rank[worst.get(r.nodeid, "passed")]
            ):
                worst[r.nodeid] = outcome
    if worst:
        n = {k: sum(v == k for v in worst.values()) for k in rank}
        terminalreporter.write_line(
            f"PostgreSQL cases: {len(worst)} collected, {n['passed']} passed, {n['failed'] + n['error']} failed"
            f" or errored, {n['skipped']} skipped"
        )
