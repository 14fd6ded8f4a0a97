"""Checking a push's JSON by hand: the same rules as ``ingest.PushBatch`` (which documents them in the
OpenAPI spec), at a fraction of the cost per event, because a night brings millions of events."""

from __future__ import annotations

import json
import re
from typing import Any

from sync.centre.ingest_types import EVENT_TYPES

_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TYPES = frozenset(EVENT_TYPES)
_KEYS = frozenset(
    {"event_id", "seq", "kiosk_id", "hall_id", "type", "occurred_at", "business_date", "payload"}
)


class Malformed(ValueError):
    pass


def parse_batch(body: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """The events and the device time of a push body; raises :class:`Malformed` with the first problem."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) - {"events", "device_time"}:
        raise Malformed("expected an object with 'events' (and optionally 'device_time')")
    events = doc.get("events")
    if not isinstance(events, list) or not events:
        raise Malformed("'events' must be a non-empty list")
    device_time = doc.get("device_time")
    if device_time is not None and (not isinstance(device_time, str) or len(device_time) > 40):
        raise Malformed("'device_time' must be an ISO-8601 string")
    for i, ev in enumerate(events):
        if not isinstance(ev, dict) or ev.keys() != _KEYS:
            raise Malformed(f"event {i}: expected exactly the fields {sorted(_KEYS)}")
        seq = ev["seq"]
        if type(seq) is not int or not 1 <= seq <= 2**62:
            raise Malformed(f"event {i}: seq must be a positive integer")
        for name in ("event_id", "kiosk_id", "hall_id"):
            value = ev[name]
            if not isinstance(value, str) or not _ID.fullmatch(value):
                raise Malformed(f"event {i}: {name} is not a valid id")
        if not isinstance(ev["type"], str) or ev["type"] not in _TYPES:
            raise Malformed(f"event {i}: unknown type {str(ev['type'])[:40]!r}")
        bd, occurred = ev["business_date"], ev["occurred_at"]
        if not isinstance(bd, str) or not _DATE.fullmatch(bd):
            raise Malformed(f"event {i}: business_date must be YYYY-MM-DD")
        if not isinstance(occurred, str) or len(occurred) > 40:
            raise Malformed(f"event {i}: occurred_at must be an ISO-8601 string")
        if not isinstance(ev["payload"], dict):
            raise Malformed(f"event {i}: payload must be an object")
    return events, device_time
