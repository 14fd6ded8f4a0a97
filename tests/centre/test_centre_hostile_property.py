"""Property (issue 13): whatever snapshots a correctly signed kiosk sends, ingest either refuses them
(4xx, nothing stored) or stores them, and in both cases every summary page renders (200) with no
markup of the kiosk's on it, and no hall is left unshowable by what the contract let in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.centre.attack_kit import DAY, Street, assert_pages_hold, open_street, pages, stored
from tests.sync_fixtures import BACKENDS, postgres_url
from tests.sync_simulate import hall_day
from tests.sync_support import running_centre, scratch_database

MARK = "<i id=h13>"
"""Put into every generated string: it must never reach a page as markup."""
POOL = hall_day("H01", "K01", DAY, tickets=8, windows=3, seed=21, close=False)
WITH_SNAPSHOTS = [e for e in POOL if e["payload"]]

texts = st.builds(
    lambda a, odd, b: a + MARK + odd + b,
    st.text(max_size=12),
    st.sampled_from(["", "\x00", "\ud800", "\u202e", "'\"&", "=1+1", "</td></tr></table>", "{{7*7}}"]),
    st.text(max_size=12),
)
values = st.one_of(
    texts,
    st.integers(-(2**70), 2**70),
    st.integers(0, 20),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates().map(str),
    st.sampled_from(["2026-02-30", "2026-11-25T09:00:00", "2026-11-25T09:00:00+08:00", "9999-12-31"]),
    st.lists(texts, max_size=3),
    st.dictionaries(st.text(max_size=5), texts, max_size=3),
)


printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=4)
free_texts = st.builds(lambda a, b: a + MARK + b, printable, printable)
FREE_TEXT = {"ticket": ["service_name", "number", "print_error"], "followups": ["result"]}
"""Fields where any printable text is allowed: the hostile strings the contract must let through."""


@st.composite
def hostile_batches(draw: Any) -> list[dict[str, Any]]:
    events = [
        json.loads(json.dumps(e))
        for e in draw(st.lists(st.sampled_from(WITH_SNAPSHOTS), min_size=1, max_size=4))
    ]
    for _ in range(draw(st.integers(1, 3))):
        ev = draw(st.sampled_from(events))
        key = draw(st.sampled_from(sorted(ev["payload"])))
        snap = ev["payload"][key]
        if isinstance(snap, list):
            if not snap:
                continue
            snap = snap[0]
        if key in FREE_TEXT and draw(st.booleans()):
            snap[draw(st.sampled_from(FREE_TEXT[key]))] = draw(free_texts)
            continue
        field = draw(st.sampled_from([*sorted(snap), "extra"]))
        snap[field] = draw(values)
    return events


@pytest.fixture(scope="module", params=BACKENDS)
def street(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Street]:
    pg = postgres_url(request.param)
    with (
        scratch_database(str(tmp_path_factory.mktemp("hostile")), pg) as (url, schema),
        running_centre(url, schema) as c,
    ):
        yield open_street(c)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=hostile_batches())
def test_refused_or_stored_and_every_page_renders(street: Street, batch: list[dict[str, Any]]) -> None:
    c = street.centre
    before = stored(c)
    resp = street.ours.push(street.fresh(batch))
    assert resp.status_code == 200 or 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    event(f"HTTP {resp.status_code}")  # both outcomes must occur: see --hypothesis-show-statistics
    if resp.status_code == 200:
        assert stored(c) != before
    else:
        assert resp.json()["error"] in {"invalid_event", "wrong_hall", "content_conflict"}, resp.text
        assert stored(c) == before
    assert_pages_hold(c, hostile=MARK)
    for path, page in pages(c, staff=False).items():
        assert "记录无法显示" not in page.text, (path, "the contract let in a record no page can show")
