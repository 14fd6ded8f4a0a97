"""A push body as the centre's ingest uses it: checked against the contract (``sync.contract``), then
kept exactly as the kiosk sent it (the stored events and snapshots are the kiosk's own JSON)."""

from __future__ import annotations

import json
from typing import Any

from sync.contract import ContractViolation, PushBatch, parse_push


class Malformed(ValueError):
    pass


def check(body: bytes) -> PushBatch:
    """The validated batch; raises :class:`Malformed` naming the event and field of the first problem."""
    try:
        return parse_push(body)
    except ContractViolation as exc:
        raise Malformed(str(exc)) from exc


def parse_batch(body: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """The events (as sent) and the device time of a push body that follows the contract."""
    batch = check(body)
    doc = json.loads(body)  # cannot fail: the contract accepted it (bounded depth, valid UTF-8)
    return doc["events"], batch.device_time
