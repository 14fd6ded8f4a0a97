"""Enrolment survives a lost reply: the kiosk asks again with the same token and gets the same key,
but a spent token opens nothing once its key is in use, once the retry window has passed, or once the
kiosk is revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.db.database import Database
from sync import signing
from sync.centre import enrol, models
from sync.client.enrolment import enrol_kiosk
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient, SyncError
from sync.client.settings import SyncSettings
from tests.sync_fixtures import FAST
from tests.sync_support import FaultProxy, RunningCentre, centre_events


def push(settings: SyncSettings, db: Database, batches: int = 10_000) -> None:
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    Pusher(KioskOutboxSource(db), client, 50).push_all(max_batches=batches)


def live_keys(centre: RunningCentre, kiosk_id: str) -> list[str]:
    with centre.engine.connect() as conn:
        return list(
            conn.execute(
                select(models.KioskKeyRow.key_id).where(
                    models.KioskKeyRow.kiosk_id == kiosk_id, models.KioskKeyRow.revoked_at.is_(None)
                )
            ).scalars()
        )


def new_token(centre: RunningCentre, kiosk_id: str = "K01", hall_id: str = "H01") -> str:
    with centre.engine.begin() as conn:
        return enrol.enrol(conn, kiosk_id, hall_id, datetime.now(UTC))


def settings_via(url: str, tmp_path: Path) -> SyncSettings:
    return SyncSettings(
        enabled=True, centre_url=url, kiosk_id="K01", hall_id="H01", key_file=tmp_path / "K01.key", **FAST
    )


def test_a_lost_enrol_reply_is_retried_and_gives_one_working_key(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    token = new_token(centre)
    with FaultProxy(int(centre.url.rsplit(":", 1)[1])) as proxy:
        proxy.add("reset_after")  # the centre makes the key; the kiosk never hears the answer
        key = enrol_kiosk(settings_via(proxy.url, tmp_path), token)
        assert proxy.applied == ["reset_after"]
    assert live_keys(centre, "K01") == [key.key_id]  # asked twice, one key
    assert signing.KioskKey.load(tmp_path / "K01.key") == key
    push(settings_via(centre.url, tmp_path), filled_kiosk)
    source = KioskOutboxSource(filled_kiosk)
    assert source.acked_seq() == source.last_seq()
    assert len(centre_events(centre.engine, "K01")) == source.last_seq()


def test_the_same_token_again_gives_the_same_key_until_the_key_signs(
    centre: RunningCentre, filled_kiosk: Database, tmp_path: Path
) -> None:
    token = new_token(centre)
    settings = settings_via(centre.url, tmp_path)
    first = enrol_kiosk(settings, token)
    second = enrol_kiosk(settings, token)
    assert second == first
    push(settings, filled_kiosk, batches=1)  # the key is now in use
    with pytest.raises(SyncError) as refused:
        enrol_kiosk(settings, token)
    assert refused.value.code == "enrol_refused"
    assert "new token" in refused.value.message  # tells staff what to do
    assert live_keys(centre, "K01") == [first.key_id]


def test_a_spent_token_is_refused_after_the_retry_window_or_revocation(centre: RunningCentre) -> None:
    token = new_token(centre)
    t0 = datetime.now(UTC)
    with centre.engine.begin() as conn:
        key = enrol.exchange(conn, "K01", token, t0)
    with centre.engine.begin() as conn:
        assert enrol.exchange(conn, "K01", token, t0 + enrol.RETRY_WINDOW) == key
    with centre.engine.begin() as conn, pytest.raises(enrol.EnrolError):
        enrol.exchange(conn, "K01", token, t0 + enrol.RETRY_WINDOW * 1.1)
    with centre.engine.begin() as conn:
        enrol.revoke(conn, "K01", t0)
    with centre.engine.begin() as conn, pytest.raises(enrol.EnrolError):
        enrol.exchange(conn, "K01", token, t0)
    with centre.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.KioskKeyRow)).scalar() == 1


def test_a_token_replaced_before_use_gives_nothing(centre: RunningCentre) -> None:
    old = new_token(centre)
    with centre.engine.begin() as conn:
        enrol.rotate(conn, "K01", datetime.now(UTC))  # a newer token retires the unused one
    with centre.engine.begin() as conn, pytest.raises(enrol.EnrolError):
        enrol.exchange(conn, "K01", old, datetime.now(UTC))
    assert live_keys(centre, "K01") == []
