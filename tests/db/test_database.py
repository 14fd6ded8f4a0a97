"""The kiosk database: created at the Alembic head, models and migrations agree, WAL + FULL sync +
foreign keys, and one writer thread whose failed tasks roll back."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.db.database import Database, DatabaseUnavailable, make_engine
from kiosk.db.migrate import alembic_config, upgrade_to_head
from kiosk.engine.errors import DomainError


def head_revision(path: Path) -> str | None:
    return ScriptDirectory.from_config(alembic_config(path)).get_current_head()


def current_revision(path: Path) -> str | None:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_fresh_file_is_created_at_head(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "kiosk.db"
    with Database(path):
        pass
    assert path.exists()
    assert current_revision(path) == head_revision(path) is not None
    engine = create_engine(f"sqlite:///{path}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(m.Base.metadata.tables) | {"alembic_version"}


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """What `alembic check` does: autogenerate finds nothing to change after upgrading to head."""
    path = tmp_path / "kiosk.db"
    upgrade_to_head(path)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    upgrade_to_head(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO sync_state (id, acked_seq, config_version) VALUES (1, 7, 0)")
    conn.commit()
    conn.close()
    upgrade_to_head(path)
    with Database(path) as db:
        state = db.read(lambda s: s.get(m.SyncState, 1))
    assert state is not None and state.acked_seq == 7


def test_connection_pragmas(tmp_path: Path) -> None:
    upgrade_to_head(tmp_path / "kiosk.db")
    engine = make_engine(tmp_path / "kiosk.db")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_unique_number_per_day_is_enforced_by_the_schema(tmp_path: Path) -> None:
    def ticket(tid: str, day: dt.date) -> m.Ticket:
        return m.Ticket(
            id=tid,
            hall_id="h",
            business_date=day,
            number="A001",
            prefix="A",
            seq_no=1,
            service_code="pension_enrol",
            issued_at=dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC),
            queue_order=1.0,
        )

    with Database(tmp_path / "kiosk.db") as db:
        db.run(lambda s: s.add(ticket("t1", dt.date(2026, 11, 26))))
        db.run(lambda s: s.add(ticket("t2", dt.date(2026, 11, 27))))  # same number, next day: fine
        with pytest.raises(Exception, match="UNIQUE"):
            db.run(lambda s: s.add(ticket("t3", dt.date(2026, 11, 26))))
        assert db.last_error is not None and "IntegrityError" in db.last_error
        assert db.read(lambda s: len(s.query(m.Ticket).all())) == 2


def test_failed_task_rolls_back_and_listeners_hear_only_commits(tmp_path: Path) -> None:
    heard: list[list[Any]] = []
    with Database(tmp_path / "kiosk.db") as db:
        db.add_commit_listener(heard.append)

        def write(s: Session, fail: BaseException | None) -> None:
            s.add(m.SyncState(id=1, acked_seq=1, config_version=0))
            s.info["notify"].append("written")
            if fail is not None:
                raise fail

        with pytest.raises(DomainError):
            db.run(lambda s: write(s, DomainError("refused")))
        assert db.last_error is None  # a refusal is not a database fault
        with pytest.raises(ValueError):
            db.run(lambda s: write(s, ValueError("bug")))
        assert db.last_error == "ValueError: bug"
        assert db.read(lambda s: s.get(m.SyncState, 1)) is None
        assert heard == []
        db.run(lambda s: write(s, None))
        assert db.last_error is None
        assert heard == [["written"]]
        assert db.read(lambda s: s.get(m.SyncState, 1)) is not None


def test_single_writer_thread(tmp_path: Path) -> None:
    with Database(tmp_path / "kiosk.db") as db:
        names = {db.run(lambda s: threading.current_thread().name) for _ in range(3)}
        assert names == {"db-writer"}
        with pytest.raises(RuntimeError):
            db.run(lambda s: db.run(lambda s2: None))
        # Many threads submitting at once: all writes land, in one order.
        threads = [
            threading.Thread(target=lambda i=i: db.run(lambda s: s.add(m.SyncState(id=i + 10, acked_seq=i))))
            for i in range(20)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert db.read(lambda s: s.query(m.SyncState).count()) == 20


def test_submit_after_close_is_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "kiosk.db")
    db.close()
    with pytest.raises(DatabaseUnavailable):
        db.run(lambda s: None)


def test_a_failed_write_is_logged_with_the_operations_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(_s: Session) -> None:
        raise OSError("disk full")

    with (
        Database(tmp_path / "k.db") as db,
        caplog.at_level("ERROR", logger="kiosk.db.database"),
        pytest.raises(OSError),
    ):
        db.run(boom, name="issuing.issue")
    assert any("issuing.issue" in r.getMessage() and "disk full" in r.getMessage() for r in caplog.records)


def test_engine_operations_reach_the_writer_by_name() -> None:
    from kiosk.engine import calling
    from kiosk.engine.engine import _task_name

    assert _task_name(calling.call_next) == "calling.call_next"
