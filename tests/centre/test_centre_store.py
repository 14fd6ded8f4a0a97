"""The store itself: migrations match the models, and materialisation does not depend on arrival order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text

from sync.centre import enrol, models
from sync.centre.db import make_engine, migrate
from sync.centre.envelope import parse_batch
from sync.centre.ingest import KioskRef, ingest, ingest_push
from tests.sync_simulate import hall_day, latest_snapshots

EVENTS = hall_day("H01", "K01", date(2026, 11, 25), tickets=25, windows=3, seed=9)
BATCHES = [EVENTS[i : i + 20] for i in range(0, len(EVENTS), 20)]


@pytest.fixture
def store(database: tuple[str, str | None]) -> Iterator[Engine]:
    url, schema = database
    engine = make_engine(url, schema)
    migrate(engine)
    yield engine
    engine.dispose()


def test_migrations_match_the_models(store: Engine) -> None:
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    assert diff == []


def test_an_existing_centre_upgrades_and_keeps_its_kiosks(database: tuple[str, str | None]) -> None:
    """A centre installed at the first schema is upgraded in place: tokens and keys survive."""
    from alembic import command

    from sync.centre.db import alembic_config

    url, schema = database
    engine = make_engine(url, schema)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            conn.execute(
                text(
                    "INSERT INTO kiosks (kiosk_id, hall_id, status, acked_seq, created_at)"
                    " VALUES ('K01', 'H01', 'active', 7, :now)"
                ),
                {"now": datetime.now(UTC)},
            )
            conn.execute(
                text(
                    "INSERT INTO enrol_tokens (token_hash, kiosk_id, created_at, expires_at)"
                    " VALUES ('abc', 'K01', :now, :now)"
                ),
                {"now": datetime.now(UTC)},
            )
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(select(models.Kiosk.acked_seq)).scalar() == 7
            assert conn.execute(select(models.EnrolToken.token_hash, models.EnrolToken.key_id)).all() == [
                ("abc", None)
            ]
            diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(models.Base.metadata.sorted_tables):
            conn.execute(table.delete())
        enrol.enrol(conn, "K01", "H01", datetime.now(UTC))


@pytest.mark.parametrize("path", ["push", "portable"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(range(len(BATCHES))), repeat=st.lists(st.integers(0, len(BATCHES) - 1), max_size=3)
)
def test_any_arrival_order_gives_the_same_rows(
    store: Engine, path: str, order: list[int], repeat: list[int]
) -> None:
    """``push``: what the server runs (on PostgreSQL, the one-statement ingest); ``portable``: the
    SQLAlchemy/executemany path, which must give the same rows on either database."""
    _reset(store)
    now = datetime.now(UTC)
    for i in [*order, *repeat]:  # every batch once, in any order, some of them again
        body = json.dumps({"events": BATCHES[i]}).encode()
        with store.begin() as conn:
            if path == "push":
                ingest_push(conn, KioskRef("K01", "H01"), body, now, 1000)
            else:
                ingest(conn, KioskRef("K01", "H01"), parse_batch(body)[0], now)
    expected = latest_snapshots(EVENTS)
    with store.connect() as conn:
        for kind, table in models.ENTITY_TABLES.items():
            assert {r.id: r.data for r in conn.execute(select(table.id, table.data))} == expected[kind]
        assert conn.execute(select(models.Kiosk.acked_seq)).scalar() == len(EVENTS)
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == len(EVENTS)
