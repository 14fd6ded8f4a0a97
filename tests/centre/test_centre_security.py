"""Every way a request can be wrong is refused with a 4xx and stores nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from sync import signing
from sync.centre import enrol, models
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, running_centre

DAY = date(2026, 11, 25)
MAX_BODY = 200_000


@pytest.fixture
def small_centre(database: tuple[str, str | None]) -> Iterator[RunningCentre]:
    url, schema = database
    with running_centre(url, schema, max_body_bytes=MAX_BODY, max_batch_events=100) as c:
        yield c


@pytest.fixture
def key(small_centre: RunningCentre, tmp_path: Path) -> signing.KioskKey:
    small_centre.enrol("K02", "H02", str(tmp_path))  # a neighbour hall exists too
    s = small_centre.enrol("K01", "H01", str(tmp_path))
    return signing.KioskKey.load(s.key_file)


def events(n: int = 5, hall: str = "H01", kiosk: str = "K01") -> list[dict[str, Any]]:
    return hall_day(hall, kiosk, DAY, tickets=3, seed=1)[:n]


def send(
    c: RunningCentre,
    key: signing.KioskKey,
    body: Any,
    *,
    path: str = "/v1/events",
    ts: float | None = None,
    sign_body: bytes | None = None,
    drop: tuple[str, ...] = (),
) -> requests.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = key.headers("POST", path, raw if sign_body is None else sign_body, int(ts or time.time()))
    for h in drop:
        headers.pop(h)
    headers["Content-Type"] = "application/json"
    return requests.post(c.url + path, data=raw, headers=headers, timeout=10)


def stored(c: RunningCentre) -> tuple[int, int]:
    with c.engine.connect() as conn:
        ev = conn.execute(select(func.count()).select_from(models.Event)).scalar_one()
        tk = conn.execute(select(func.count()).select_from(models.Ticket)).scalar_one()
    return ev, tk


def refused(resp: requests.Response, status: int, code: str | None = None) -> None:
    assert resp.status_code == status, resp.text
    if code:
        assert resp.json()["error"] == code


def test_the_good_request_works(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    resp = send(small_centre, key, {"events": events()})
    assert resp.status_code == 200 and resp.json()["acked_seq"] == 5
    assert stored(small_centre)[0] == 5


def test_unsigned(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    refused(
        requests.post(small_centre.url + "/v1/events", json={"events": events()}, timeout=10), 401, "unsigned"
    )
    refused(send(small_centre, key, {"events": events()}, drop=(signing.HEADER_SIGNATURE,)), 401, "unsigned")
    assert stored(small_centre) == (0, 0)


def test_wrong_key(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    """A wrong secret, an unknown key and an unknown kiosk get the very same answer: a guesser learns
    nothing about which kiosk ids are enrolled."""
    forged = signing.KioskKey(key.kiosk_id, key.hall_id, key.key_id, signing.new_secret())
    unknown = signing.KioskKey(key.kiosk_id, key.hall_id, "k-unknown", key.secret)
    stranger = signing.KioskKey("K77", key.hall_id, key.key_id, key.secret)
    answers = []
    for k in (forged, unknown, stranger):
        resp = send(small_centre, k, {"events": events()})
        refused(resp, 401, "bad_credentials")
        answers.append(resp.json())
    assert answers[0] == answers[1] == answers[2]
    assert stored(small_centre) == (0, 0)


def test_tampered_body(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    good = json.dumps({"events": events()}).encode()
    bad = good.replace(b'"seq": 1', b'"seq": 9')
    assert bad != good
    refused(send(small_centre, key, bad, sign_body=good), 401, "bad_credentials")
    # the path is signed too: a signature for /v1/cursor does not open /v1/events
    headers = key.headers("GET", "/v1/cursor", good, int(time.time()))
    refused(requests.post(small_centre.url + "/v1/events", data=good, headers=headers, timeout=10), 401)
    assert stored(small_centre) == (0, 0)


def test_replay(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    raw = json.dumps({"events": events()}).encode()
    headers = key.headers("POST", "/v1/events", raw, int(time.time()))
    first = requests.post(small_centre.url + "/v1/events", data=raw, headers=headers, timeout=10)
    assert first.status_code == 200
    with small_centre.engine.begin() as conn:  # even had the first batch been lost, a replay adds nothing
        conn.execute(models.Event.__table__.delete())
    refused(
        requests.post(small_centre.url + "/v1/events", data=raw, headers=headers, timeout=10), 401, "replay"
    )
    assert stored(small_centre)[0] == 0


@pytest.mark.parametrize("offset", [-1000, +1000])
def test_stale_or_future_timestamp(small_centre: RunningCentre, key: signing.KioskKey, offset: int) -> None:
    resp = send(small_centre, key, {"events": events()}, ts=time.time() + offset)
    refused(resp, 401, "stale_timestamp")
    assert float(resp.headers[signing.HEADER_SERVER_TIME]) > 0  # so the kiosk can correct its clock
    assert stored(small_centre) == (0, 0)


def test_another_halls_records(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    refused(send(small_centre, key, {"events": events(hall="H02")}), 403, "wrong_owner")
    refused(send(small_centre, key, {"events": events(kiosk="K02")}), 403, "wrong_owner")
    # an envelope of our own hall smuggling a snapshot of the neighbour's ticket
    evs = events()
    evs[0]["payload"]["ticket"]["hall_id"] = "H02"
    refused(send(small_centre, key, {"events": evs}), 403, "wrong_hall")
    assert stored(small_centre) == (0, 0)


def test_revoked_and_rotated_keys(small_centre: RunningCentre, key: signing.KioskKey, tmp_path: Path) -> None:
    with small_centre.engine.begin() as conn:
        token = enrol.rotate(conn, "K01", datetime.now(UTC))
    assert send(small_centre, key, {"events": events(1)}).status_code == 200  # old key still fine
    resp = requests.post(small_centre.url + "/v1/enrol", json={"kiosk_id": "K01", "token": token}, timeout=10)
    new = signing.KioskKey.from_json(resp.json()["secret"])
    refused(send(small_centre, key, {"events": events(2)}), 401, "bad_credentials")  # replaced
    assert send(small_centre, new, {"events": events(2)}).status_code == 200
    again = requests.post(
        small_centre.url + "/v1/enrol", json={"kiosk_id": "K01", "token": token}, timeout=10
    )
    refused(again, 403, "enrol_refused")  # a token works once
    with small_centre.engine.begin() as conn:
        enrol.revoke(conn, "K01", datetime.now(UTC))
    refused(send(small_centre, new, {"events": events(4)}), 403, "revoked")
    assert stored(small_centre)[0] == 2


def test_oversized_bodies(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    big = {"events": events(1), "device_time": None, "pad": "x" * (MAX_BODY + 10)}
    refused(send(small_centre, key, big), 413, "too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(50):
            yield b"x" * 10_000

    raw_headers = key.headers("POST", "/v1/events", b"", int(time.time()))
    resp = requests.post(small_centre.url + "/v1/events", data=chunks(), headers=raw_headers, timeout=10)
    refused(resp, 413)
    many = hall_day("H01", "K01", DAY, tickets=30, seed=2)[:101]
    refused(send(small_centre, key, {"events": many}), 413, "batch_too_large")
    assert stored(small_centre) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"events": []}',
        json.dumps({"events": [{"seq": 1}]}).encode(),
        json.dumps({"events": [{**events(1)[0], "type": "ticket.stolen"}]}).encode(),
        json.dumps({"events": [{**events(1)[0], "seq": -4}]}).encode(),
        json.dumps({"events": [{**events(1)[0], "business_date": "yesterday"}]}).encode(),
        json.dumps({"events": events(1) + events(1)}).encode(),
    ],
    ids=[
        "not-json",
        "array",
        "empty",
        "missing-fields",
        "unknown-type",
        "negative-seq",
        "bad-date",
        "dup-in-batch",
    ],
)
def test_malformed_bodies(small_centre: RunningCentre, key: signing.KioskKey, body: bytes) -> None:
    resp = send(small_centre, key, body)
    assert 400 <= resp.status_code < 500, resp.text
    assert stored(small_centre) == (0, 0)


def test_seq_reused_for_another_event_is_refused(small_centre: RunningCentre, key: signing.KioskKey) -> None:
    assert send(small_centre, key, {"events": events(3)}).status_code == 200
    other = hall_day("H01", "K01", DAY, tickets=3, seed=5)[:3]  # same seqs, different events
    refused(send(small_centre, key, {"events": other}), 409, "seq_conflict")
    assert stored(small_centre)[0] == 3


def test_openapi_is_published(small_centre: RunningCentre) -> None:
    spec = requests.get(small_centre.url + "/openapi.json", timeout=10).json()
    assert {"/v1/events", "/v1/enrol", "/v1/cursor", "/v1/config"} <= set(spec["paths"])
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"events", "device_time"}
    assert {"Event", "TicketSnapshot"} <= set(spec["components"]["schemas"])
