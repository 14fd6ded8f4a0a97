"""Fixtures shared by tests/sync and tests/centre (each conftest imports them): a real centre on a
loopback port over SQLite, or PostgreSQL when CENTRE_TEST_DATABASE_URL is set, and a real kiosk
database file whose outbox holds a simulated hall day."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest

from kiosk.db.database import Database
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, fill_outbox, running_centre, scratch_database

PG_URL = os.environ.get("CENTRE_TEST_DATABASE_URL")
# In CI the PostgreSQL half is required: production ingests through pg_ingest.py, so a missing server
# fails those cases (scripts/postgres.sh starts one) instead of skipping them and passing.
PG_REQUIRED = os.environ.get("CI") == "true"
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL and not PG_REQUIRED, reason="CENTRE_TEST_DATABASE_URL not set"),
        ],
    ),
]


def postgres_url(backend: str) -> str | None:
    """The server for a ``BACKENDS`` case: None for SQLite; fails the case if CI has no server."""
    if backend != "postgres":
        return None
    if not PG_URL:
        pytest.fail("CI=true needs PostgreSQL: CENTRE_TEST_DATABASE_URL is not set (see scripts/postgres.sh)")
    return PG_URL


DAY = date(2026, 11, 25)
FAST = {"backoff_factor": 0.05, "backoff_max": 0.2, "backoff_jitter": 0.05, "retries": 8}
"""Sync client retries for tests: many, and quick."""


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str | None]]:
    pg = postgres_url(request.param)
    with scratch_database(str(tmp_path_factory.mktemp("centre")), pg) as db:
        yield db


@pytest.fixture
def centre(database: tuple[str, str | None]) -> Iterator[RunningCentre]:
    url, schema = database
    with running_centre(url, schema, fault_injection=True, retry_after_seconds=1) as c:
        yield c


@pytest.fixture
def kiosk_db(tmp_path: os.PathLike[str]) -> Iterator[Database]:
    db = Database(os.path.join(tmp_path, "kiosk.db"))
    yield db
    db.close()


@pytest.fixture
def day_events() -> list[dict[str, object]]:
    return hall_day("H01", "K01", DAY, tickets=120, windows=4, seed=7)


@pytest.fixture
def filled_kiosk(kiosk_db: Database, day_events: list[dict[str, object]]) -> Database:
    fill_outbox(kiosk_db, day_events)
    return kiosk_db
