"""Whatever a (correctly signed) kiosk sends, the centre answers 200 or a 4xx — never a 500 — and a
refused push stores nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sync import signing
from sync.centre import models
from tests.sync_fixtures import BACKENDS, postgres_url
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, running_centre

GOOD = hall_day("H01", "K01", date(2026, 11, 25), tickets=2, seed=1)[:4]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def mutated_event(draw: Any) -> dict[str, Any]:
    ev = json.loads(json.dumps(draw(st.sampled_from(GOOD))))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*ev.keys(), "extra"]))
        action = draw(st.sampled_from(["replace", "drop", "snapshot"]))
        if action == "drop":
            ev.pop(key, None)
        elif action == "snapshot" and isinstance(ev.get("payload"), dict) and ev["payload"]:
            snap_key = draw(st.sampled_from(sorted(ev["payload"])))
            ev["payload"][snap_key] = draw(json_values)
        else:
            ev[key] = draw(json_values)
    return ev


@st.composite
def bodies(draw: Any) -> bytes:
    kind = draw(st.sampled_from(["json", "events", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    events = [mutated_event(draw) for _ in range(draw(st.integers(1, 3)))]
    return json.dumps({"events": events}).encode()


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_centre(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningCentre, signing.KioskKey]]:
    """The centre on SQLite and on PostgreSQL (the production store), each fuzzed in full."""
    from tests.sync_support import scratch_database

    pg = postgres_url(request.param)
    with (
        scratch_database(str(tmp_path_factory.mktemp("fuzz")), pg) as (url, schema),
        running_centre(url, schema) as c,
    ):
        s = c.enrol("K01", "H01", str(tmp_path_factory.mktemp("keys")))
        yield c, signing.KioskKey.load(Path(s.key_file))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies())
def test_never_a_server_error(fuzz_centre: tuple[RunningCentre, signing.KioskKey], body: bytes) -> None:
    centre, key = fuzz_centre
    with centre.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(models.Event)).scalar_one()
    headers = key.headers("POST", "/v1/events", body, int(time.time()))
    resp = requests.post(centre.url + "/v1/events", data=body, headers=headers, timeout=30)
    assert resp.status_code == 200 or 400 <= resp.status_code < 500, (resp.status_code, resp.text, body[:300])
    if resp.status_code != 200:
        with centre.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(models.Event)).scalar_one() == before
