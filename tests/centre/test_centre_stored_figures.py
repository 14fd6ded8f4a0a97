"""The figures the pages read are stored per hall-day when records arrive, and equal both the kiosk's
日结 and a recomputation from the snapshots, whatever order and batching the kiosk's pushes had."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, delete, inspect, select

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from sync import signing
from sync.centre import day_store, figures, followups, models
from sync.centre.refresher import FigureRefresher
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient
from tests.centre.test_centre_summary import DAY, push, run_kiosk_day
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, fill_outbox


def _same(a: figures.DaySummary, b: figures.DaySummary) -> None:
    assert a.figures_dict() == b.figures_dict()


def _stored_rows(conn: Connection) -> list[tuple[object, ...]]:
    t = models.DayFigures
    return [tuple(r) for r in conn.execute(select(t).order_by(t.scope, t.key))]


def test_stored_night_equals_the_kiosk_day_close(
    centre: RunningCentre, sample_config: HallConfig, kiosk_db: Database, tmp_path: Path
) -> None:
    engine = run_kiosk_day(sample_config, kiosk_db)
    kiosk = engine.summary(DAY)
    push(centre, kiosk_db, sample_config.hall_id, tmp_path)
    with centre.engine.connect() as conn:
        night = figures.street_night(conn, DAY, as_of=DAY)
        stored = conn.execute(select(models.HallDay)).one()
    (hall,) = night.halls
    _same(hall.summary, kiosk)
    assert stored.closed and stored.matches_kiosk is True  # the kiosk's own 日结 figures, checked on arrival
    assert night.street.finished == kiosk.hall.finished and night.street.rated == kiosk.hall.rated
    assert sum(hall.hourly.arrivals.values()) == kiosk.hall.issued


def test_figures_follow_every_batch_and_a_backfill_gives_the_same(
    centre: RunningCentre, tmp_path: Path
) -> None:
    events = hall_day("H1", "K1", DAY, tickets=60, seed=3)
    db = Database(tmp_path / "k.db")
    settings = centre.enrol("K1", "H1", str(tmp_path), hall_name="一社区")
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    half = len(events) // 2
    fill_outbox(db, events[:half])
    Pusher(KioskOutboxSource(db), client, 50).push_all()
    with centre.engine.begin() as conn:
        # pushes during the day only mark the day; the refresher (or the first page) recomputes it
        assert not conn.execute(select(models.HallDay)).all()
        assert conn.execute(select(models.DirtyDay.business_date)).scalars().all() == [DAY.isoformat()]
    refresher = FigureRefresher(centre.engine, 0.05)
    refresher.start()
    try:
        for _ in range(200):
            with centre.engine.connect() as conn:
                if not conn.execute(select(models.DirtyDay)).all():
                    break
            time.sleep(0.05)
    finally:
        refresher.stop()
    with centre.engine.connect() as conn:
        first = figures.street_night(conn, DAY, as_of=DAY).halls[0].summary
        _same(first, figures.hall_summary(conn, "H1", DAY, as_of=DAY))
        assert not conn.execute(select(models.HallDay.closed)).scalar_one()
    fill_outbox(db, events[half:])
    Pusher(KioskOutboxSource(db), client, 50).push_all()
    with centre.engine.begin() as conn:
        assert day_store.refresh_dirty(conn) == 1 and not conn.execute(select(models.DirtyDay)).all()
        after = figures.street_night(conn, DAY, as_of=DAY).halls[0].summary
        exact = figures.hall_summary(conn, "H1", DAY, as_of=DAY)
        _same(after, exact)
        assert after.hall.issued == 60 and after.hall.finished > first.hall.finished
        before = _stored_rows(conn)
        conn.execute(delete(models.DayFigures))
        conn.execute(delete(models.HallDay))
        assert day_store.refresh_all(conn) == 1
        assert _stored_rows(conn) == before and len(before) > 10
        _same(figures.street_night(conn, DAY, as_of=DAY).halls[0].summary, exact)
    db.close()


def test_a_result_recorded_at_the_centre_marks_the_followup_done(
    centre: RunningCentre, tmp_path: Path
) -> None:
    db = Database(tmp_path / "k.db")
    fill_outbox(db, hall_day("H1", "K1", DAY, tickets=80, seed=1))
    settings = centre.enrol("K1", "H1", str(tmp_path))
    Pusher(KioskOutboxSource(db), SignedClient(settings, signing.KioskKey.load(settings.key_file))).push_all()
    with centre.engine.begin() as conn:
        fact = conn.execute(
            select(models.FollowupFact).where(models.FollowupFact.kind == "callback").limit(1)
        ).one()
        assert fact.done_on is None and fact.due_date == (DAY + dt.timedelta(days=1)).isoformat()
        at = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai, the day after it was due
        followups.record(conn, "H1", fact.id, "callback", "已回访", "王芳", at)
        done = conn.execute(select(models.FollowupFact.done_on).where(models.FollowupFact.id == fact.id))
        assert done.scalar_one() == "2026-11-27"
    db.close()


def test_the_migrations_build_exactly_the_models_tables(centre: RunningCentre) -> None:
    """What `alembic check` does: after upgrading to head, autogenerate finds nothing to change (the
    stored month rows and the partial index of open follow-ups included)."""
    with centre.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), models.Base.metadata) == []
        names = {ix["name"] for ix in inspect(conn).get_indexes("followup_facts")}
    assert "ix_followup_facts_open_due" in names
