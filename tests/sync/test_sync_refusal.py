"""A batch the centre refuses (issue 13) is shown to staff with the event and field the centre named,
and is not sent again and again in the background: the scheduler holds until staff press sync now."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from kiosk.db.database import Database
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.scheduler import SyncScheduler
from sync.client.state import SyncPhase
from tests.sync_fixtures import FAST
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, centre_events, fill_outbox

DAY = date(2026, 11, 25)


def test_a_refused_batch_is_shown_and_held(centre: RunningCentre, kiosk_db: Database, tmp_path: Path) -> None:
    events = hall_day("H01", "K01", DAY, tickets=5, seed=3)
    bad = next(e for e in events if e["payload"].get("handling"))
    bad["payload"]["handling"]["window_number"] = "3号"  # a broken build's snapshot
    fill_outbox(kiosk_db, events)
    settings = centre.enrol(
        "K01", "H01", str(tmp_path), interval_minutes=0.01, nightly_jitter_minutes=0, **FAST
    )
    source = KioskOutboxSource(kiosk_db)
    sched = SyncScheduler(settings, source)
    status = sched.run_once()
    assert status.phase is SyncPhase.ERROR and status.held
    text = status.last_error or ""
    assert f"seq {bad['seq']}" in text and "window_number" in text and "HTTP 422" in text
    assert "automatic sync paused" in text
    assert source.acked_seq() == 0
    assert centre_events(centre.engine, "K01") == []  # nothing of the refused batch was stored
    sched.start()  # the periodic timer (0.6 s here) does not resend the refused batch
    try:
        first = sched.status.last_attempt_at
        time.sleep(2.5)
        assert sched.status.last_attempt_at == first and sched.status.held
        sched.sync_now()  # staff, after support fixed it: one more try, still refused and still shown
        deadline = time.monotonic() + 30
        while sched.status.last_attempt_at == first:
            assert time.monotonic() < deadline, "sync now did not run"
            time.sleep(0.05)
        while sched.status.phase is SyncPhase.SYNCING:
            time.sleep(0.05)
        assert sched.status.phase is SyncPhase.ERROR and sched.status.held
    finally:
        sched.stop()
