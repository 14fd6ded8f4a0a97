"""The contract (sync.contract) is a leaf: the centre validates with it without importing the kiosk;
what the kiosk and the simulator produce passes it; and what it refuses names the event and field."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from sync.contract import ContractViolation, parse_push
from tests.sync_simulate import hall_day

DAY = date(2026, 11, 25)


def test_importing_the_contract_loads_no_kiosk_and_no_centre() -> None:
    code = (
        "import sys, sync.contract; "
        "bad = [m for m in sys.modules if m.split('.')[0] == 'kiosk' or m.startswith('sync.centre')]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_simulated_day_follows_the_contract() -> None:
    events = hall_day("H01", "K01", DAY, tickets=200, seed=3)
    batch = parse_push(json.dumps({"events": events, "device_time": "2026-11-25T10:00:00+00:00"}).encode())
    assert len(batch.events) == len(events)
    assert {e.type for e in batch.events} >= {"ticket.issued", "handling.finished", "day.closed"}


def _refusal(mutate: object) -> ContractViolation:
    events = hall_day("H01", "K01", DAY, tickets=3, seed=1)
    mutate(events)  # type: ignore[operator]
    with pytest.raises(ContractViolation) as caught:
        parse_push(json.dumps({"events": events}).encode())
    return caught.value


def _first_with(events: list[dict[str, object]], key: str) -> dict[str, object]:
    return next(e for e in events if key in e["payload"])  # type: ignore[operator]


@pytest.mark.parametrize(
    ("key", "field", "value", "path"),
    [
        ("ticket", "number", 5, "payload.ticket.number"),
        ("ticket", "status", "<b>x</b>", "payload.ticket.status"),
        ("ticket", "service_name", "x" * 201, "payload.ticket.service_name"),
        ("ticket", "id", 42, "payload.ticket.id"),
        ("ticket", "issued_at", "2026-11-25T09:00:00", "payload.ticket.issued_at"),
        ("handling", "window_number", "3", "payload.handling.window_number"),
        ("handling", "window_number", 1.5, "payload.handling.window_number"),
        ("handling", "outcome", "exploded", "payload.handling.outcome"),
        ("ticket", "print_error", "a\x00b", "payload.ticket.print_error"),
        ("ticket", "extra_field", 1, "payload.ticket.extra_field"),
    ],
)
def test_a_bad_snapshot_is_named(key: str, field: str, value: object, path: str) -> None:
    def mutate(events: list[dict[str, object]]) -> None:
        _first_with(events, key)["payload"][key][field] = value  # type: ignore[index]

    exc = _refusal(mutate)
    assert exc.field == path and exc.seq is not None
    assert f"(seq {exc.seq}): {path}" in str(exc)


def test_an_impossible_date_and_a_seq_out_of_bounds() -> None:
    def bad_due(events: list[dict[str, object]]) -> None:
        events[0]["business_date"] = "2026-02-30"

    assert _refusal(bad_due).field == "business_date"

    def huge_seq(events: list[dict[str, object]]) -> None:
        events[0]["seq"] = 2**63

    assert _refusal(huge_seq).field == "seq"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe", b'{"events": [{"seq": "\\ud800"}]}', b'{"events": ' + b"[" * 3000 + b"]" * 3000 + b"}"],
)
def test_bodies_no_database_should_see(body: bytes) -> None:
    with pytest.raises(ContractViolation, match="not valid JSON"):
        parse_push(body)
