"""实时/设备: a kiosk's signed heartbeat turns its hall red on the device page and raises the alert when
the printer has been out of paper for longer than the centre's threshold, and the next heartbeat with
paper clears both."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import requests

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.services.health_monitor import HealthMonitor
from kiosk.services.heartbeat_link import collect
from kiosk.services.sync_link import SyncLink
from sync import signing
from sync.centre import day_store, device_pages, devices
from sync.client.heartbeat import HeartbeatSender, send
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.scheduler import SyncScheduler
from sync.client.session import SignedClient, SyncError
from sync.client.state import SyncPhase
from sync.contract.heartbeat import Heartbeat
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, fill_outbox


def beat(printer: str = "ok", since: dt.datetime | None = None, **extra: object) -> Heartbeat:
    now = dt.datetime.now(dt.UTC)
    return Heartbeat.model_validate_json(
        json.dumps(
            {
                "device_time": now.isoformat(),
                "business_date": now.date().isoformat(),
                "open": True,
                "waiting": {"pension_enrol": 4, "minimum_living": 1},
                "windows": [
                    {"number": 1, "status": "open", "staff_id": "1001"},
                    {"number": 2, "status": "paused"},
                ],
                "printer": {"state": printer, **({"since": since.isoformat()} if since else {})},
                "keypads": [{"bus": "counter", "state": "ok", "silent": []}],
                "outbox_backlog": 3,
                "disk_free_mb": 20480,
                "software_version": "1.4.0",
                "config_version": "7",
                **extra,
            }
        )
    )


def row(page: str, hall: str) -> str:
    match = re.search(rf'<tr class="lv-(\w+)"><td class="l">{hall}</td>', page)
    assert match, page
    return match.group(1)


def test_a_heartbeat_turns_the_hall_red_raises_the_alert_and_clears_it(
    centre: RunningCentre, tmp_path: Path
) -> None:
    settings = centre.enrol("K1", "H1", str(tmp_path), hall_name="甲社区")
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    other = centre.enrol("K2", "H2", str(tmp_path), hall_name="乙社区")
    send(SignedClient(other, signing.KioskKey.load(other.key_file)), beat())

    send(client, beat("paper_out", since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15)))
    page = requests.get(f"{centre.url}/devices", timeout=30).text
    assert row(page, "甲社区") == "bad" and row(page, "乙社区") == "ok"
    assert "甲社区：打印机缺纸已 15 分钟" in page
    assert "打印机缺纸（15 分钟）" in page  # how long the fault has lasted
    assert "4 / " not in page and "1 / 1" in page  # windows open / paused

    send(client, beat("ok"))
    page = requests.get(f"{centre.url}/devices", timeout=30).text
    assert row(page, "甲社区") == "ok" and "没有告警" in page and "缺纸" not in page

    # a fault younger than the threshold is shown, not alerted; a silent keypad likewise
    send(client, beat("paper_near_end", keypads=[{"bus": "counter", "state": "ok", "silent": [3]}]))
    page = requests.get(f"{centre.url}/devices", timeout=30).text
    assert row(page, "甲社区") == "warn" and "没有告警" in page and "3号窗口评价器无应答" in page
    # low disk and a wrong clock are alerts at once
    send(
        client,
        beat(disk_free_mb=300, device_time=(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()),
    )
    page = requests.get(f"{centre.url}/devices", timeout=30).text
    assert "甲社区：磁盘剩余 300 MB" in page and "甲社区：时钟偏差 -5 分钟" in page


def test_a_day_not_closed_by_eight_next_morning_raises_the_alert_and_its_close_clears_it(
    centre: RunningCentre, tmp_path: Path
) -> None:
    """A hall pushes Wednesday's records without the 日结: on Thursday at 07:59 (Shanghai) nothing is
    due yet, at 08:01 the hall is red with 昨日未日结; once its kiosk sends the close, the alert is gone."""
    day = dt.date(2026, 11, 25)
    local_8 = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    events = hall_day("H1", "K1", day, tickets=6, windows=2, seed=3)
    close = [e for e in events if e["type"] == "day.closed"]
    assert len(close) == 1
    settings = centre.enrol("K1", "H1", str(tmp_path), hall_name="甲社区")
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    db = Database(tmp_path / "K1.db")
    limits = devices.Thresholds()  # the defaults: closed by 08:00

    def push(batch: list[dict[str, object]]) -> None:
        fill_outbox(db, batch)
        Pusher(KioskOutboxSource(db), client).push_all()
        with centre.engine.begin() as conn:  # as the server's refresher does within seconds
            day_store.refresh_dirty(conn)

    def alerts_at(now: dt.datetime) -> tuple[devices.Level, list[str]]:
        (hall,) = _live(centre, now, limits)
        return hall.level, [a.text for a in hall.alerts if a.kind == "not_closed"]

    try:
        push([e for e in events if e["type"] != "day.closed"])
        assert alerts_at(local_8 - dt.timedelta(minutes=1))[1] == []
        level, raised = alerts_at(local_8 + dt.timedelta(minutes=1))
        assert level == devices.Level.BAD and raised == ["昨日未日结（已过 08:00）"]
        late = local_8 + dt.timedelta(minutes=1)
        page = device_pages.render_devices(_live(centre, late, limits), late, limits)
        assert "甲社区：昨日未日结（已过 08:00）" in page
        push(close)
        assert alerts_at(local_8 + dt.timedelta(minutes=1))[1] == []
    finally:
        db.close()


def _live(centre: RunningCentre, now: dt.datetime, limits: devices.Thresholds) -> list[devices.HallLive]:
    with centre.engine.connect() as conn:
        return devices.street_live(conn, now, limits)


def test_a_heartbeat_is_signed_and_checked(centre: RunningCentre, tmp_path: Path) -> None:
    settings = centre.enrol("K1", "H1", str(tmp_path))
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    assert (
        requests.post(
            f"{centre.url}/v1/heartbeat", json=beat().model_dump(mode="json"), timeout=10
        ).status_code
        == 401
    )
    bad = beat().model_dump(mode="json") | {"printer": {"state": "on_fire"}}
    with pytest.raises(SyncError) as refused:
        client.request("POST", "/v1/heartbeat", bad)
    assert refused.value.status == 422 and "printer" in str(refused.value)


def test_the_sender_beats_at_start_and_when_nudged(centre: RunningCentre, tmp_path: Path) -> None:
    settings = centre.enrol("K1", "H1", str(tmp_path), hall_name="甲社区")
    sender = HeartbeatSender(SignedClient(settings, signing.KioskKey.load(settings.key_file)), beat, 3600)
    sender.start()
    try:
        for _ in range(100):
            if sender.sent >= 1:
                break
            threading_wait(0.05)
        sender.nudge()  # as after a push
        for _ in range(100):
            if sender.sent >= 2:
                break
            threading_wait(0.05)
    finally:
        sender.stop()
    assert sender.sent >= 2 and sender.last_error is None
    assert row(requests.get(f"{centre.url}/devices", timeout=30).text, "甲社区") == "ok"


def threading_wait(seconds: float) -> None:
    import time

    time.sleep(seconds)


def test_each_push_carries_a_heartbeat_gathered_from_the_kiosk(
    centre: RunningCentre, sample_config: HallConfig, tmp_path: Path
) -> None:
    """The sync scheduler sends the kiosk's own heartbeat (engine, health monitor, disk) after a push."""
    db = Database(tmp_path / "kiosk.db")
    engine = QueueEngine(
        sample_config, db, ManualClock(dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)), kiosk_id="K1"
    )
    engine.issue("pension_enrol")
    engine.issue("pension_enrol")
    settings = centre.enrol("K1", sample_config.hall_id, str(tmp_path), hall_name="柏杨社区")
    health = HealthMonitor(
        engine, None, SyncLink(sample_config, db, engine, tmp_path), lambda: None
    ).snapshot()
    hb = collect(engine, health, sample_config, tmp_path, None)
    assert hb.waiting["pension_enrol"] == 2 and [w.number for w in hb.windows] == [1, 2, 3, 4]
    assert hb.disk_free_mb > 0 and hb.open
    source = KioskOutboxSource(db)
    scheduler = SyncScheduler(settings, source)
    scheduler.heartbeat = lambda: collect(engine, health, sample_config, tmp_path, None)
    assert scheduler.run_once().phase == SyncPhase.IDLE
    page = requests.get(f"{centre.url}/devices", timeout=30).text
    # this kiosk's clock is a test's, days behind the centre's: the alert says so
    assert row(page, "柏杨社区") == "bad" and "柏杨社区：时钟偏差" in page
    assert re.search(r"<td>2</td>", page)  # two residents waiting
    db.close()
