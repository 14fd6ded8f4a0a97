"""The event envelope and the push body, and the one door every push goes through (`parse_push`).

Both of the centre's ingest paths (SQLite and PostgreSQL) call `parse_push` before they touch the
database, so they accept exactly the same bodies; a refusal names the event and the field."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sync.contract.enums import EventType
from sync.contract.fields import Id, Instant, IsoDate
from sync.contract.snapshots import STRICT, Payload

MAX_SEQ = 2**62


class Event(BaseModel):
    """One outbox event as the kiosk sends it."""

    model_config = STRICT
    event_id: Id
    seq: int = Field(ge=1, le=MAX_SEQ)
    """Gap-free per kiosk, from 1."""
    kiosk_id: Id
    hall_id: Id
    type: EventType
    occurred_at: Instant
    """The kiosk's clock: shown, never used to order."""
    business_date: IsoDate
    payload: Payload


class PushBatch(BaseModel):
    """The body of ``POST /v1/events``."""

    model_config = ConfigDict(strict=True, extra="forbid")
    events: list[Event] = Field(min_length=1)
    device_time: Instant | None = None
    """The kiosk's own clock when it sent the batch: recorded as skew, never used for ordering."""


class ContractViolation(ValueError):
    """A push body that does not follow the contract; ``str()`` names the event and the field."""

    def __init__(self, message: str, event_index: int | None = None, seq: int | None = None, field: str = ""):
        super().__init__(message)
        self.event_index, self.seq, self.field = event_index, seq, field


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _seq_of(body: bytes, index: int) -> int | None:
    """The seq of the refused event, for the message (best effort: the body is already known bad)."""
    try:
        seq = json.loads(body)["events"][index]["seq"]
    except (ValueError, LookupError, TypeError, RecursionError):  # any bad shape: no seq in the message
        return None
    return seq if type(seq) is int else None


def violation(exc: ValidationError, body: bytes) -> ContractViolation:
    err = exc.errors(include_url=False, include_input=False)[0]
    loc = tuple(err["loc"])
    if err["type"] == "json_invalid":
        return ContractViolation(f"not valid JSON: {err['msg']}")
    if len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int):
        index, field = loc[1], _path(loc[2:]) or "(the event)"
        seq = _seq_of(body, index)
        which = f"event {index}" + (f" (seq {seq})" if seq is not None else "")
        return ContractViolation(f"{which}: {field}: {err['msg']}", index, seq, field)
    field = _path(loc) or "(the body)"
    return ContractViolation(f"{field}: {err['msg']}", field=field)


def parse_push(body: bytes) -> PushBatch:
    """Check a push body against the contract; raises :class:`ContractViolation` with the first problem.

    Invalid UTF-8, a lone surrogate, JSON nested too deep, a duplicate-free but unknown field, an
    impossible date: all end here as a violation, never as a server error."""
    try:
        return PushBatch.model_validate_json(body)
    except ValidationError as exc:
        raise violation(exc, body) from None
