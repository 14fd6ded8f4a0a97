"""CSV exports of the night (UTF-8 with BOM so that Excel on the staff PCs opens Chinese correctly)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from sqlalchemy import Engine

from sync.centre.figures import StreetNight, street_night
from sync.contract.figures import Figures

FIELDS = [
    "issued", "called", "finished", "no_show", "removed", "materials_incomplete", "promised", "print_failures",
    "wait_mean_s", "wait_p90_s", "service_mean_s", "service_p90_s",
    "rated", "satisfied", "dissatisfied", "unrated", "ignored_presses", "evaluation_rate", "satisfaction_rate",
]  # fmt: skip
HEAD = [
    "business_date",
    "level",
    "hall_id",
    "hall_name",
    "window",
    "service_code",
    "synced",
    *FIELDS,
    "matches_kiosk",
]


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe(cell: object) -> object:
    """A text cell Excel would read as a formula (``=HYPERLINK(…)``, ``+1+2``, ``@SUM``) gets a leading
    apostrophe, so it is shown as the text the kiosk sent; numbers are left as they are."""
    if isinstance(cell, str) and cell.startswith(_FORMULA):
        return "'" + cell
    return cell


class _SafeWriter:
    def __init__(self, out: io.StringIO) -> None:
        self._w = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Sequence[object]) -> None:
        self._w.writerow([safe(c) for c in row])


def _row(
    day: dt.date, level: str, hall: str, name: str, window: str, service: str, synced: str, f: Figures
) -> list[object]:
    return [day.isoformat(), level, hall, name, window, service, synced, *(getattr(f, k) for k in FIELDS)]


def night_csv(night: StreetNight) -> str:
    """One row for the street, then per hall, its windows and its services."""
    out = io.StringIO()
    w = _SafeWriter(out)
    w.writerow(HEAD)
    w.writerow(_row(night.day, "street", "", "全街道", "", "", "", night.street))
    for h in night.halls:
        synced = "yes" if h.synced else "no"
        check = {True: "yes", False: "NO", None: ""}[h.matches_kiosk]
        w.writerow([*_row(night.day, "hall", h.hall_id, h.hall_name, "", "", synced, h.figures), check])
        for n, f in sorted(h.summary.windows.items()):
            w.writerow(_row(night.day, "window", h.hall_id, h.hall_name, str(n), "", synced, f))
        for code, f in sorted(h.summary.services.items()):
            w.writerow(_row(night.day, "service", h.hall_id, h.hall_name, "", code, synced, f))
    return out.getvalue()


def followups_csv(night: StreetNight) -> str:
    """Every dissatisfied rating of the night with its callback and rectification."""
    out = io.StringIO()
    w = _SafeWriter(out)
    w.writerow(["business_date", "hall_id", "hall_name", "rating_id", "number", "window", "service_code", "level",
                "rated_at", "followup_id", "kind", "due_date", "status", "centre_result"])  # fmt: skip
    for h in night.halls:
        for d in h.dissatisfied:
            base = [night.day.isoformat(), h.hall_id, h.hall_name, d["rating_id"], d["number"], d["window"],
                    d["service_code"], d["level"], d["rated_at"]]  # fmt: skip
            if not d["followups"]:
                w.writerow([*base, "", "", "", "missing", ""])
            for v in d["followups"]:
                result = v.results[-1]["result"] if v.results else ""
                w.writerow([*base, v.data["id"], v.data["kind"], v.data.get("due_date"), v.status, result])
    return out.getvalue()


def street_csv(engine: Engine, day: dt.date) -> str:
    with engine.connect() as conn:
        return night_csv(street_night(conn, day))
