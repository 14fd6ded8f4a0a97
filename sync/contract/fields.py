"""Field types of the contract: every string has a length and a shape, every date is a real date.

Text may hold any printable character (Chinese names, punctuation, even ``<`` — pages escape it), but
no control character: PostgreSQL cannot store NUL, and the two databases must accept the same input."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def _real_date(text: str) -> str:
    dt.date.fromisoformat(text)  # ValueError → a validation error naming the field (2026-02-30)
    return text


def _instant(text: str) -> str:
    at = dt.datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("an instant needs its UTC offset (the kiosk sends UTC, e.g. +00:00)")
    return text


def _bounded_json(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        raise ValueError("nested more than 6 levels deep")
    if isinstance(value, dict):
        for k, v in value.items():
            if len(k) > 64:
                raise ValueError("a key longer than 64 characters")
            _bounded_json(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _bounded_json(v, depth + 1)
    elif isinstance(value, str) and len(value) > 200:
        raise ValueError("a string longer than 200 characters")
    return value


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
"""Ids of kiosks, halls, events and records; also service and priority codes."""
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_real_date)]
Instant = Annotated[str, StringConstraints(min_length=10, max_length=40), AfterValidator(_instant)]
"""An ISO-8601 time with its offset (the kiosk writes UTC: ``2026-11-25T01:15:20+00:00``)."""
WindowNumber = Annotated[int, Field(ge=1, le=999)]
StaffId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,16}$")]
"""A 工号, as the hall's roster lists it."""
Count = Annotated[int, Field(ge=0, le=1_000_000)]


# Printable strings, named by their longest length.
Number = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=_PRINTABLE)]
Prefix = Annotated[str, StringConstraints(max_length=4, pattern=_PRINTABLE)]
Text100 = Annotated[str, StringConstraints(max_length=100, pattern=_PRINTABLE)]
Text200 = Annotated[str, StringConstraints(max_length=200, pattern=_PRINTABLE)]
Text500 = Annotated[str, StringConstraints(max_length=500, pattern=_PRINTABLE)]
Text2000 = Annotated[str, StringConstraints(max_length=2000, pattern=_PRINTABLE)]


BoundedJson = Annotated[dict[str, Any], AfterValidator(_bounded_json)]
"""A JSON object kept as sent (the 日结 figures), at most 6 levels deep, short keys and strings."""
