"""Staff pages (placeholder until the kiosk's summary function lands)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine


def register(api: FastAPI, engine: Engine) -> None:
    return None


def write_night(engine: Engine, day: object, out: object) -> list[str]:
    return []
