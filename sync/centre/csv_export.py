"""CSV export of the night's figures (placeholder until the summary function lands)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine


def street_csv(engine: Engine, day: date) -> str:
    return ""
