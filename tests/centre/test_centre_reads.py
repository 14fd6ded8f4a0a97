"""The kiosk's two reads, GET /v1/cursor and GET /v1/config, are signed like a push: unsigned,
forged or another hall's requests are refused, and a kiosk sees only its own hall's documents. A nonce
stays spent across a centre restart, and the timestamp window is exactly 300 s either way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from sync import signing
from sync.centre import config_docs, models
from sync.centre.security import AuthError, authenticate
from tests.sync_support import RunningCentre, running_centre


@pytest.fixture
def centre_db(database: tuple[str, str | None]) -> tuple[str, str | None]:
    return database


@pytest.fixture
def centre(centre_db: tuple[str, str | None]) -> Iterator[RunningCentre]:
    url, schema = centre_db
    with running_centre(url, schema) as c:
        yield c


@pytest.fixture
def keys(centre: RunningCentre, tmp_path: Path) -> dict[str, signing.KioskKey]:
    out = {}
    for kiosk, hall in (("K01", "H01"), ("K02", "H02")):
        s = centre.enrol(kiosk, hall, str(tmp_path / kiosk))
        out[kiosk] = signing.KioskKey.load(s.key_file)
    return out


def get(c: RunningCentre, key: signing.KioskKey | None, target: str) -> requests.Response:
    headers = key.headers("GET", target, b"", int(time.time())) if key else {}
    return requests.get(c.url + target, headers=headers, timeout=10)


def code(resp: requests.Response) -> tuple[int, str | None]:
    try:
        return resp.status_code, resp.json().get("error")
    except ValueError:
        return resp.status_code, None


@pytest.mark.parametrize("target", ["/v1/cursor", "/v1/config?since=0"])
def test_reads_refuse_unsigned_and_forged_requests(
    centre: RunningCentre, keys: dict[str, signing.KioskKey], target: str
) -> None:
    k01 = keys["K01"]
    assert get(centre, k01, target).status_code == 200
    assert code(get(centre, None, target)) == (401, "unsigned")
    forged = signing.KioskKey(k01.kiosk_id, k01.hall_id, k01.key_id, signing.new_secret())
    assert code(get(centre, forged, target)) == (401, "bad_credentials")
    # K01's key presented as K02's: the key does not belong to that kiosk
    borrowed = signing.KioskKey("K02", "H02", k01.key_id, k01.secret)
    assert code(get(centre, borrowed, target)) == (401, "bad_credentials")
    # signed for another query string: the query is part of what is signed
    other = "/v1/config?since=5" if "config" in target else "/v1/cursor?x=1"
    headers = k01.headers("GET", other, b"", int(time.time()))
    assert code(requests.get(centre.url + target, headers=headers, timeout=10)) == (401, "bad_credentials")


def test_the_cursor_is_the_signing_kiosks_own(
    centre: RunningCentre, keys: dict[str, signing.KioskKey]
) -> None:
    with centre.engine.begin() as conn:
        conn.execute(update(models.Kiosk).where(models.Kiosk.kiosk_id == "K02").values(acked_seq=41))
    one = get(centre, keys["K01"], "/v1/cursor").json()
    two = get(centre, keys["K02"], "/v1/cursor").json()
    assert (one["kiosk_id"], one["hall_id"], one["acked_seq"]) == ("K01", "H01", 0)
    assert (two["kiosk_id"], two["hall_id"], two["acked_seq"]) == ("K02", "H02", 41)


def test_config_shows_a_kiosk_only_its_own_halls_documents(
    centre: RunningCentre, keys: dict[str, signing.KioskKey]
) -> None:
    now = datetime.now(UTC)
    with centre.engine.begin() as conn:
        config_docs.publish(conn, "holidays", {"2027": ["2027-01-01"]}, now)  # street-wide
        config_docs.publish(conn, "catalogue", {"services": ["H02 only"]}, now, hall_id="H02")
        config_docs.publish(conn, "guides", {"SB01": "H01 only"}, now, hall_id="H01")
    one = get(centre, keys["K01"], "/v1/config?since=0").json()
    two = get(centre, keys["K02"], "/v1/config?since=0").json()
    assert {d["kind"]: d["body"] for d in one["documents"]} == {
        "holidays": {"2027": ["2027-01-01"]},
        "guides": {"SB01": "H01 only"},
    }
    assert {d["kind"]: d["body"] for d in two["documents"]} == {
        "holidays": {"2027": ["2027-01-01"]},
        "catalogue": {"services": ["H02 only"]},
    }
    assert "H02 only" not in str(one) and "H01 only" not in str(two)


def test_a_nonce_stays_spent_after_the_centre_restarts(
    centre_db: tuple[str, str | None], tmp_path: Path
) -> None:
    url, schema = centre_db
    with running_centre(url, schema) as first:
        key = signing.KioskKey.load(first.enrol("K01", "H01", str(tmp_path)).key_file)
        headers = key.headers("GET", "/v1/cursor", b"", int(time.time()))
        assert requests.get(first.url + "/v1/cursor", headers=headers, timeout=10).status_code == 200
    with running_centre(url, schema) as second:  # a new process on the same database
        replay = requests.get(second.url + "/v1/cursor", headers=headers, timeout=10)
        assert code(replay) == (401, "replay")
        fresh = key.headers("GET", "/v1/cursor", b"", int(time.time()))
        assert requests.get(second.url + "/v1/cursor", headers=fresh, timeout=10).status_code == 200


@pytest.mark.parametrize(("offset", "accepted"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_the_timestamp_window_is_300_seconds_exactly(
    centre: RunningCentre, keys: dict[str, signing.KioskKey], offset: int, accepted: bool
) -> None:
    """At the boundary, over HTTP the request's own travel time would decide; so the check is run at
    an exact centre time on the real database."""
    assert centre.settings.timestamp_window_seconds == 300
    ts = 1_800_000_000
    headers = keys["K01"].headers("GET", "/v1/cursor", b"", ts)
    now = datetime.fromtimestamp(ts - offset, UTC)  # the kiosk's clock is `offset` s ahead of the centre
    with centre.engine.begin() as conn:
        if accepted:
            who = authenticate(conn, "GET", "/v1/cursor", headers, b"", now, 300)
            assert who.kiosk_id == "K01"
        else:
            with pytest.raises(AuthError) as refused:
                authenticate(conn, "GET", "/v1/cursor", headers, b"", now, 300)
            assert (refused.value.status, refused.value.code) == (401, "stale_timestamp")
