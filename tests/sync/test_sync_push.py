"""The kiosk's client against a real centre on loopback: push, resume, duplicates, order, faults.

Every test ends with the same check: the centre holds exactly the kiosk's events, none missing,
none twice, and the materialised rows are the newest snapshot of each entity."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kiosk.db.database import Database
from kiosk.db.models import SyncState
from sync import signing
from sync.centre import models
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient, SyncError
from sync.client.settings import SyncSettings
from tests.sync_fixtures import FAST
from tests.sync_simulate import hall_day, latest_snapshots
from tests.sync_support import FaultProxy, RunningCentre, centre_events, fill_outbox

DAY = date(2026, 11, 25)


def kiosk_events(db: Database) -> list[tuple[int, str, str, Any]]:
    src = KioskOutboxSource(db)
    return [(e["seq"], e["event_id"], e["type"], e["payload"]) for e in src.pending(0, 10**9)]


def assert_exact(centre: RunningCentre, db: Database, kiosk_id: str = "K01") -> None:
    ours = kiosk_events(db)
    theirs = centre_events(centre.engine, kiosk_id)
    assert [e[0] for e in theirs] == [e[0] for e in ours]  # none missing, none twice
    assert theirs == ours
    expected = latest_snapshots([{"seq": s, "payload": p} for s, _, _, p in ours])
    with centre.engine.connect() as conn:
        for kind, table in models.ENTITY_TABLES.items():
            rows = {r.id: r.data for r in conn.execute(select(table.id, table.data))}
            assert rows == expected[kind], kind
        acked = conn.execute(select(models.Kiosk.acked_seq).where(models.Kiosk.kiosk_id == kiosk_id)).scalar()
    assert acked == ours[-1][0]


def pusher_for(settings: SyncSettings, db: Database, batch: int = 50) -> Pusher:
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    return Pusher(KioskOutboxSource(db), client, batch)


def test_push_everything(centre: RunningCentre, filled_kiosk: Database, tmp_path: Path) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    report = pusher_for(settings, filled_kiosk).push_all()
    assert report.duplicates == 0
    assert report.stored == len(kiosk_events(filled_kiosk))
    assert KioskOutboxSource(filled_kiosk).acked_seq() == report.acked_seq
    assert_exact(centre, filled_kiosk)


def test_resume_after_partial_acknowledgement(
    centre: RunningCentre, kiosk_db: Database, tmp_path: Path
) -> None:
    events = hall_day("H01", "K01", DAY, tickets=80, seed=3)
    half = len(events) // 2
    fill_outbox(kiosk_db, events[:half])
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    first = pusher_for(settings, kiosk_db).push_all()
    assert first.acked_seq == half
    fill_outbox(kiosk_db, events[half:])
    # The kiosk lost its own record of the acknowledgement (restored database): it must ask the centre
    # and send only what the centre lacks, not everything again.
    kiosk_db.run(lambda s: s.execute(update(SyncState).values(acked_seq=0)))
    second = pusher_for(settings, kiosk_db).push_all()
    assert second.stored == len(events) - half
    assert second.duplicates == 0
    assert_exact(centre, kiosk_db)


def test_duplicate_batch_is_stored_once(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    batch = KioskOutboxSource(filled_kiosk).pending(0, 100)
    one = client.request("POST", "/v1/events", {"events": batch})
    two = client.request("POST", "/v1/events", {"events": batch})
    assert (one["stored"], one["duplicates"], one["acked_seq"]) == (100, 0, 100)
    assert (two["stored"], two["duplicates"], two["acked_seq"]) == (0, 100, 100)
    pusher_for(settings, filled_kiosk).push_all()
    assert_exact(centre, filled_kiosk)


def test_batches_out_of_order(centre: RunningCentre, filled_kiosk: Database, tmp_path: Path) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    events = KioskOutboxSource(filled_kiosk).pending(0, 10**9)
    batches = [events[i : i + 100] for i in range(0, len(events), 100)]
    # newest first: the centre stores them but acknowledges only the contiguous prefix
    for batch in reversed(batches[1:]):
        assert client.request("POST", "/v1/events", {"events": batch})["acked_seq"] == 0
    answer = client.request("POST", "/v1/events", {"events": batches[0]})
    assert answer["acked_seq"] == len(events)
    report = pusher_for(settings, filled_kiosk).push_all()
    assert report.stored == 0 and report.sent_batches == 0
    assert_exact(centre, filled_kiosk)


@pytest.mark.parametrize(
    "faults",
    [
        [{"action": "500"}, {"action": "500"}, {"action": "500"}],
        [{"action": "500_after"}, {"action": "500_after"}],
        [{"action": "delay", "seconds": 1.5}],  # stored, but the answer comes after the client gave up
    ],
    ids=["500-before-store", "500-after-store", "timeout-after-store"],
)
def test_server_faults(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path, faults: list[dict[str, Any]]
) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), timeout=0.5, **FAST)
    pusher = pusher_for(settings, filled_kiosk)
    pusher.push_all(max_batches=2)  # the first batches go through cleanly
    centre.faults(*[{"path": "/v1/events", **f} for f in faults])
    run_until_done(pusher, filled_kiosk)
    assert centre.faults()["pending"] == []
    assert_exact(centre, filled_kiosk)


@pytest.mark.parametrize(
    "faults",
    [
        ["reset_before", "reset_before"],
        ["reset_after", "reset_after"],
        ["silence"],
        ["reset_after", "silence", "reset_before"],
    ],
)
def test_network_faults(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path, faults: list[str]
) -> None:
    with FaultProxy(int(centre.url.rsplit(":", 1)[1])) as proxy:
        settings = centre.enrol("K01", "H01", str(tmp_path), centre_url=proxy.url, timeout=0.5, **FAST)
        pusher = pusher_for(settings, filled_kiosk)
        pusher.push_all(max_batches=1)
        proxy.add(*faults)
        run_until_done(pusher, filled_kiosk)
        assert proxy.applied == faults
    assert_exact(centre, filled_kiosk)


def run_until_done(pusher: Pusher, db: Database, runs: int = 10) -> None:
    """Like the scheduler: run again after a failed run, until nothing is left to send."""
    source = KioskOutboxSource(db)
    for _ in range(runs):
        try:
            pusher.push_all()
        except SyncError:
            continue
        if source.acked_seq() == source.last_seq():
            return
    raise AssertionError("the kiosk never caught up")


def test_events_count_once_across_everything(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    for _ in range(3):
        pusher_for(settings, filled_kiosk, batch=33).push_all()
    with centre.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.Event)).scalar() == len(
            kiosk_events(filled_kiosk)
        )


def test_kiosk_restored_from_an_old_copy_stops(
    centre: RunningCentre, kiosk_db: Database, tmp_path: Path
) -> None:
    events = hall_day("H01", "K01", DAY, tickets=20, seed=3)
    fill_outbox(kiosk_db, events)
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    pusher_for(settings, kiosk_db).push_all()
    old_copy = Database(tmp_path / "old.db")  # the kiosk's disk replaced by a copy from before
    fill_outbox(old_copy, events[:10])
    with pytest.raises(SyncError) as err:
        pusher_for(settings, old_copy).push_all()
    assert err.value.code == "conflict" and not err.value.retryable
    assert centre_events(centre.engine, "K01") == kiosk_events(kiosk_db)  # nothing overwritten
    old_copy.close()
