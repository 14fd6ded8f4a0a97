"""The scheduler thread, the state shown to staff, the nightly rush (429), config pull, clock drift."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kiosk.db.database import Database
from kiosk.db.models import SyncState
from sync import signing
from sync.centre import config_docs, models
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.scheduler import SyncScheduler
from sync.client.session import SignedClient
from sync.client.settings import SyncSettings
from sync.client.state import SyncPhase, SyncStatus
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, centre_events, fill_outbox, running_centre

DAY = date(2026, 11, 25)
FAST = {"backoff_factor": 0.05, "backoff_max": 0.2, "backoff_jitter": 0.05, "retries": 8}


def wait_for(pred: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_scheduler_runs_and_reports_state(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    settings = centre.enrol(
        "K01", "H01", str(tmp_path), interval_minutes=600, nightly_jitter_minutes=0, **FAST
    )
    source = KioskOutboxSource(filled_kiosk)
    seen: list[SyncStatus] = []
    sched = SyncScheduler(settings, source, source)
    sched.subscribe(seen.append)
    assert sched.status.backlog == 0 and sched.status.last_success_at is None
    sched.start()  # runs at once, then every interval
    try:
        wait_for(lambda: sched.status.last_success_at is not None, "first run")
        status = sched.status
        assert status.phase is SyncPhase.IDLE
        assert status.backlog == 0 and status.acked_seq == source.last_seq()
        assert status.last_error is None
        assert SyncPhase.SYNCING in {s.phase for s in seen}
        # more events arrive; the nightly close pushes them (jitter 0: at once)
        more = hall_day("H01", "K01", DAY, tickets=10, seed=99, start_seq=source.last_seq() + 1)
        fill_outbox(filled_kiosk, more)
        first = status.last_success_at
        sched.nightly_close()
        wait_for(lambda: sched.status.last_success_at != first, "nightly run")
        assert sched.status.backlog == 0
        assert len(centre_events(centre.engine, "K01")) == source.last_seq()
    finally:
        sched.stop()


def test_state_shows_failure_then_recovery(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **{**FAST, "retries": 1})
    source = KioskOutboxSource(filled_kiosk)
    sched = SyncScheduler(settings, source)
    centre.faults(*[{"action": "500", "path": "/v1/"}] * 2)  # retries=1: two attempts
    status = sched.run_once()
    assert status.phase is SyncPhase.DEGRADED
    assert status.last_error and status.last_error.startswith("server_error")
    assert status.backlog == source.last_seq()
    assert filled_kiosk.read(lambda s: s.get(SyncState, 1).last_error)
    status = sched.run_once()
    assert status.phase is SyncPhase.IDLE and status.backlog == 0 and status.last_error is None


def test_not_enrolled_and_revoked(centre: RunningCentre, filled_kiosk: Database, tmp_path: Path) -> None:
    source = KioskOutboxSource(filled_kiosk)
    lonely = SyncSettings(
        enabled=True, centre_url=centre.url, kiosk_id="K09", hall_id="H09", key_file=tmp_path / "none"
    )
    assert SyncScheduler(lonely, source).run_once().phase is SyncPhase.NOT_ENROLLED
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    from sync.centre import enrol

    with centre.engine.begin() as conn:
        enrol.revoke(conn, "K01", datetime.now(UTC))
    status = SyncScheduler(settings, source).run_once()
    assert status.phase is SyncPhase.ERROR and "revoked" in (status.last_error or "")


def test_nightly_rush_gets_429_and_retries(database: tuple[str, str | None], tmp_path: Path) -> None:
    url, schema = database
    with running_centre(
        url, schema, fault_injection=True, max_concurrent_requests=1, retry_after_seconds=1
    ) as c:
        dbs, pushers = [], []
        for i in range(3):
            db = Database(tmp_path / f"k{i}.db")
            fill_outbox(db, hall_day(f"H{i}", f"K{i}", DAY, tickets=15, seed=i))
            s = c.enrol(f"K{i}", f"H{i}", str(tmp_path), **FAST)
            dbs.append(db)
            pushers.append(Pusher(KioskOutboxSource(db), SignedClient(s, signing.KioskKey.load(s.key_file))))
        # hold the first kiosk's push inside the centre so the others find it busy
        c.faults({"action": "delay_before", "seconds": 3, "path": "/v1/cursor"})
        threads = [threading.Thread(target=p.push_all) for p in pushers]
        threads[0].start()
        wait_for(lambda: c.faults()["used"], "the held request")
        for t in threads[1:]:
            t.start()
        for t in threads:
            t.join(60)
        assert c.guard.refused_busy >= 1
        for i, db in enumerate(dbs):
            src = KioskOutboxSource(db)
            assert [e[0] for e in centre_events(c.engine, f"K{i}")] == list(range(1, src.last_seq() + 1))
            assert src.acked_seq() == src.last_seq()
            db.close()


class Sink:
    def __init__(self) -> None:
        self.version = 0
        self.docs: list[dict[str, Any]] = []

    def config_version(self) -> int:
        return self.version

    def apply_config(self, version: int, documents: list[dict[str, Any]]) -> None:
        self.version, self.docs = version, documents


def test_config_pull_by_version(centre: RunningCentre, filled_kiosk: Database, tmp_path: Path) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    now = datetime.now(UTC)
    with centre.engine.begin() as conn:
        config_docs.publish(conn, "holidays", {"2027": ["2027-01-01"]}, now)
        config_docs.publish(conn, "catalogue", {"services": ["SB01"]}, now)
        config_docs.publish(conn, "catalogue", {"services": ["other hall"]}, now, hall_id="H02")
    sink = Sink()
    status = SyncScheduler(settings, KioskOutboxSource(filled_kiosk), sink).run_once()
    assert status.config_version == 2 and sink.version == 2
    assert {d["kind"]: d["body"] for d in sink.docs} == {
        "holidays": {"2027": ["2027-01-01"]},
        "catalogue": {"services": ["SB01"]},
    }
    sink.docs = []
    SyncScheduler(settings, KioskOutboxSource(filled_kiosk), sink).run_once()
    assert sink.docs == []  # nothing new
    with centre.engine.begin() as conn:
        config_docs.publish(conn, "guides", {"SB01": "身份证原件及复印件 1 份"}, now, hall_id="H01")
    SyncScheduler(settings, KioskOutboxSource(filled_kiosk), sink).run_once()
    assert sink.version == 4 and [d["kind"] for d in sink.docs] == ["guides"]


def test_drifted_kiosk_clock_is_corrected_and_skew_recorded(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    settings = centre.enrol("K01", "H01", str(tmp_path), **FAST)
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    client.clock_offset = -7200  # the kiosk believes it is two hours earlier
    report = Pusher(KioskOutboxSource(filled_kiosk), client).push_all()
    assert report.acked_seq == KioskOutboxSource(filled_kiosk).last_seq()
    assert abs(client.clock_offset) < 60
    with centre.engine.connect() as conn:
        skew = conn.execute(select(models.Kiosk.last_skew_seconds)).scalar()
    assert skew is not None and abs(skew) < 60
