"""Configuration the street centre publishes (catalogue, guides, holiday calendar), kept on disk.

The holiday calendar applies at the next start (it only adds days the hall's YAML does not list).
The catalogue and guides are kept for the installer to review and merge into the hall's YAML: a
kiosk never rewrites its own service list while residents are using it.
Holiday document body: {"holidays": ["2027-01-01", …], "workdays": ["2027-02-06", …]}.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config.schema import Calendar, HallConfig

log = logging.getLogger(__name__)


def document_store(directory: Path) -> Callable[[Any, list[dict[str, Any]]], None]:
    """The `apply_documents` hook for the sync client: write each document atomically."""

    def apply(_session: Any, documents: list[dict[str, Any]]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for doc in documents:
            kind = str(doc.get("kind", ""))
            if kind not in ("catalogue", "guides", "holidays"):
                log.warning("ignoring a centre document of unknown kind %r", kind)
                continue
            target = directory / f"{kind}.json"
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(tmp, target)

    return apply


def with_centre_holidays(config: HallConfig, directory: Path) -> HallConfig:
    """The hall config plus the centre's published holidays and make-up workdays, if any."""
    path = directory / "holidays.json"
    if not path.exists():
        return config
    try:
        body = json.loads(path.read_text(encoding="utf-8"))["body"]
        holidays = [dt.date.fromisoformat(d) for d in body.get("holidays", [])]
        workdays = [dt.date.fromisoformat(d) for d in body.get("workdays", [])]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.error("the centre's holiday calendar in %s is unreadable (%s); using the built-in one", path, exc)
        return config
    cal = config.calendar
    merged = Calendar(
        extra_holidays=sorted(set(cal.extra_holidays) | set(holidays)),
        extra_workdays=sorted(set(cal.extra_workdays) | set(workdays)),
    )
    return config.model_copy(update={"calendar": merged})
