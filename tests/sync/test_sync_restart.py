"""The centre killed (SIGKILL) while a batch is in flight and started again on the same database."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from kiosk.db.database import Database
from sync import signing
from sync.centre import enrol
from sync.centre.db import make_engine
from sync.client.enrolment import enrol_kiosk
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient, SyncError
from sync.client.settings import SyncSettings
from tests.sync_support import ProcessServer, centre_events


def _wait_used(url: str, n: int) -> None:
    deadline = time.monotonic() + 30
    while len(requests.get(url + "/_test/faults", timeout=5).json()["used"]) < n:
        assert time.monotonic() < deadline, "the fault was never reached"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "fault", ["delay_before", "delay"], ids=["killed-before-store", "killed-after-store"]
)
def test_server_killed_mid_batch(
    database: tuple[str, str | None], filled_kiosk: Database, tmp_path: Path, fault: str
) -> None:
    url, schema = database
    env = {"CENTRE_FAULT_INJECTION": "1"}
    if schema:
        env["CENTRE_DB_SCHEMA"] = schema
    server = ProcessServer(url, env)
    server.start()
    try:
        engine = make_engine(url, schema)
        with engine.begin() as conn:
            token = enrol.enrol(conn, "K01", "H01", datetime.now(UTC))
        settings = SyncSettings(
            enabled=True,
            centre_url=server.url,
            kiosk_id="K01",
            hall_id="H01",
            key_file=tmp_path / "k.key",
            retries=3,
            backoff_factor=0.05,
            backoff_max=0.2,
            timeout=10,
        )
        enrol_kiosk(settings, token)
        client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
        source = KioskOutboxSource(filled_kiosk)
        pusher = Pusher(source, client, batch_size=40)
        pusher.push_all(max_batches=2)
        requests.post(server.url + "/_test/faults", json=[{"action": fault, "seconds": 30}], timeout=5)
        errors: list[Exception] = []

        def push() -> None:
            try:
                pusher.push_all()
            except SyncError as exc:
                errors.append(exc)

        worker = threading.Thread(target=push)
        worker.start()
        _wait_used(server.url, 1)  # a batch is inside the centre right now
        server.kill()
        worker.join(60)
        server.start()  # same port, same database
        for _ in range(5):  # the scheduler's next runs
            try:
                pusher.push_all()
                break
            except SyncError:
                time.sleep(0.2)
        ours = [(e["seq"], e["event_id"], e["type"], e["payload"]) for e in source.pending(0, 10**9)]
        assert centre_events(engine, "K01") == ours
        assert source.acked_seq() == ours[-1][0]
        engine.dispose()
    finally:
        server.kill()
