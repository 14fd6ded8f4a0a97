"""The day figures (日结): a pure function over plain records, part of the kiosk–centre contract.

The kiosk builds the records from its database, the street centre from the events it materialised;
both call `compute_summary`, so the two sets of figures agree by construction. The formulas are
in README ("How the figures are computed").

The figures are versioned. A kiosk sends ``figures_version`` with its 日结 figures; the centre compares
only the figures that version knew (`figures_agree`), so a new figure does not mark every kiosk not yet
upgraded 「核对不一致」. Adding a figure: raise `FIGURES_VERSION` and enter the figure in `FIGURE_SINCE`
with the new number. `RECORD_FIELDS` lists the snapshot fields the figures read, for the centre's SQL.
"""

from __future__ import annotations

import datetime as dt
import math
import typing
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sync.contract.enums import (
    FINISHED_OUTCOMES,
    UNPRINTED_STATUSES,
    FollowupKind,
    FollowupStatus,
    Outcome,
    RatingStatus,
    TicketStatus,
)

FINISHED = frozenset(FINISHED_OUTCOMES)


def _dt(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class TicketRec:
    id: str
    number: str
    service_code: str
    priority: str | None
    issued_at: dt.datetime
    status: str
    print_status: str = "printed"


@dataclass(frozen=True)
class HandlingRec:
    id: str
    ticket_id: str
    window_number: int
    service_code: str
    called_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    outcome: str | None


@dataclass(frozen=True)
class RatingRec:
    id: str
    handling_id: str
    ticket_id: str
    window_number: int
    service_code: str
    status: str
    level: int | None
    satisfied: bool | None
    dissatisfied: bool | None
    rated_at: dt.datetime | None


@dataclass(frozen=True)
class FollowupRec:
    id: str
    kind: str
    rating_id: str | None
    ticket_id: str
    window_number: int
    service_code: str
    business_date: dt.date
    due_date: dt.date
    status: str


@dataclass(frozen=True)
class IgnoredRec:
    window_number: int
    reason: str


@dataclass
class DayRecords:
    tickets: list[TicketRec] = field(default_factory=list)
    handlings: list[HandlingRec] = field(default_factory=list)
    ratings: list[RatingRec] = field(default_factory=list)
    followups: list[FollowupRec] = field(default_factory=list)
    ignored: list[IgnoredRec] = field(default_factory=list)

    @classmethod
    def from_snapshots(
        cls,
        tickets: Iterable[dict[str, Any]] = (),
        handlings: Iterable[dict[str, Any]] = (),
        ratings: Iterable[dict[str, Any]] = (),
        followups: Iterable[dict[str, Any]] = (),
        ignored: Iterable[dict[str, Any]] = (),
    ) -> DayRecords:
        """Build from outbox snapshot dicts (see docs/sync-events.md); extra keys are ignored."""
        return cls(
            tickets=[
                TicketRec(
                    t["id"],
                    t["number"],
                    t["service_code"],
                    t.get("priority"),
                    _dt(t["issued_at"]),  # type: ignore[arg-type]
                    t["status"],
                    t.get("print_status", "printed"),
                )
                for t in tickets
            ],
            handlings=[
                HandlingRec(
                    h["id"],
                    h["ticket_id"],
                    int(h["window_number"]),
                    h["service_code"],
                    _dt(h["called_at"]),  # type: ignore[arg-type]
                    _dt(h.get("started_at")),
                    _dt(h.get("finished_at")),
                    h.get("outcome"),
                )
                for h in handlings
            ],
            ratings=[
                RatingRec(
                    r["id"],
                    r["handling_id"],
                    r["ticket_id"],
                    int(r["window_number"]),
                    r["service_code"],
                    r["status"],
                    r.get("level"),
                    r.get("satisfied"),
                    r.get("dissatisfied"),
                    _dt(r.get("rated_at")),
                )
                for r in ratings
            ],
            followups=[
                FollowupRec(
                    f["id"],
                    f["kind"],
                    f.get("rating_id"),
                    f["ticket_id"],
                    int(f["window_number"]),
                    f["service_code"],
                    _date(f["business_date"]),
                    _date(f["due_date"]),
                    f["status"],
                )
                for f in followups
            ],
            ignored=[IgnoredRec(int(i["window_number"]), i["reason"]) for i in ignored],
        )


@dataclass
class Figures:
    issued: int = 0
    called: int = 0
    finished: int = 0
    no_show: int = 0
    removed: int = 0
    rated: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    unrated: int = 0
    ignored_presses: int = 0
    materials_incomplete: int = 0
    promised: int = 0
    print_failures: int = 0
    levels: dict[int, int] = field(default_factory=lambda: {lv: 0 for lv in range(1, 6)})
    wait_mean_s: float | None = None
    wait_p90_s: float | None = None
    service_mean_s: float | None = None
    service_p90_s: float | None = None
    evaluation_rate: float | None = None
    satisfaction_rate: float | None = None


@dataclass
class DaySummary:
    hall_id: str
    business_date: dt.date
    hall: Figures
    windows: dict[int, Figures]
    services: dict[str, Figures]
    dissatisfied: list[dict[str, Any]]
    followups_open: int
    followups_overdue: int
    promised_overdue: int

    def figures_dict(self) -> dict[str, Any]:
        """The part the kiosk's 日结 and the centre must agree on exactly."""
        return {
            "hall": asdict(self.hall),
            "windows": {str(k): asdict(v) for k, v in sorted(self.windows.items())},
            "services": {k: asdict(v) for k, v in sorted(self.services.items())},
            "dissatisfied": self.dissatisfied,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "hall_id": self.hall_id,
            "business_date": self.business_date.isoformat(),
            **self.figures_dict(),
            "followups_open": self.followups_open,
            "followups_overdue": self.followups_overdue,
            "promised_overdue": self.promised_overdue,
        }


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def compute_summary(
    records: DayRecords, hall_id: str, business_date: dt.date, as_of: dt.date | None = None
) -> DaySummary:
    as_of = as_of or business_date
    hall = Figures()
    windows: dict[int, Figures] = {}
    services: dict[str, Figures] = {}
    by_ticket = {t.id: t for t in records.tickets}

    def w(n: int) -> Figures:
        return windows.setdefault(n, Figures())

    def sv(code: str) -> Figures:
        return services.setdefault(code, Figures())

    # A ticket counts as issued, and first called, for the service it was taken for: a 咨询 ticket
    # transferred at the 首问窗口 stays a 咨询 in the figures (its handling there keeps the service);
    # what is finished and rated counts for the service that finished it.
    first_handling: dict[str, HandlingRec] = {}
    for h in sorted(records.handlings, key=lambda h: (h.called_at, h.id)):
        first_handling.setdefault(h.ticket_id, h)

    def taken_for(t: TicketRec) -> str:
        h = first_handling.get(t.id)
        return h.service_code if h is not None else t.service_code

    for t in records.tickets:
        for f in (hall, sv(taken_for(t))):
            f.issued += 1
            f.no_show += t.status == TicketStatus.NO_SHOW
            f.removed += t.status == TicketStatus.REMOVED
            f.print_failures += t.print_status in UNPRINTED_STATUSES  # never printed as issued

    waits: dict[str, list[float]] = {}
    first_call: dict[str, HandlingRec] = {}
    for h in sorted(records.handlings, key=lambda h: (h.called_at, h.id)):
        first_call.setdefault(h.ticket_id, h)
        w(h.window_number).called += 1
        w(h.window_number).no_show += h.outcome == Outcome.NO_SHOW
    hall.called = len(first_call)
    for ticket_id, h in first_call.items():
        tk = by_ticket.get(ticket_id)
        if tk is None:
            continue
        wait = (h.called_at - tk.issued_at).total_seconds()
        for key in ("hall", f"w{h.window_number}", f"s{h.service_code}"):
            waits.setdefault(key, []).append(wait)
        sv(h.service_code).called += 1

    durations: dict[str, list[float]] = {}
    for h in records.handlings:
        if h.outcome not in FINISHED or h.finished_at is None:
            continue
        secs = (h.finished_at - (h.started_at or h.called_at)).total_seconds()
        for key, f in (
            ("hall", hall),
            (f"w{h.window_number}", w(h.window_number)),
            (f"s{h.service_code}", sv(h.service_code)),
        ):
            durations.setdefault(key, []).append(secs)
            f.finished += 1
            f.materials_incomplete += h.outcome == Outcome.MATERIALS_INCOMPLETE
            f.promised += h.outcome == Outcome.PROMISED

    dissatisfied_list = []
    for r in records.ratings:
        for f in (hall, w(r.window_number), sv(r.service_code)):
            if r.status == RatingStatus.RATED and r.level is not None:
                f.rated += 1
                f.satisfied += bool(r.satisfied)
                f.dissatisfied += bool(r.dissatisfied)
                f.levels[r.level] += 1
            elif r.status == RatingStatus.UNRATED:
                f.unrated += 1
        if r.status == RatingStatus.RATED and r.dissatisfied:
            rt = by_ticket.get(r.ticket_id)
            dissatisfied_list.append(
                {
                    "rating_id": r.id,
                    "number": rt.number if rt else "",
                    "window": r.window_number,
                    "service_code": r.service_code,
                    "level": r.level,
                    "rated_at": r.rated_at.astimezone(dt.UTC).isoformat() if r.rated_at else None,
                }
            )
    for i in records.ignored:
        hall.ignored_presses += 1
        w(i.window_number).ignored_presses += 1

    for key, f in (
        [("hall", hall)]
        + [(f"w{n}", v) for n, v in windows.items()]
        + [(f"s{c}", v) for c, v in services.items()]
    ):
        f.wait_mean_s = _mean(waits.get(key, []))
        f.wait_p90_s = _round(percentile(waits.get(key, []), 90))
        f.service_mean_s = _mean(durations.get(key, []))
        f.service_p90_s = _round(percentile(durations.get(key, []), 90))
        f.evaluation_rate = _rate(f.rated, f.finished)
        f.satisfaction_rate = _rate(f.satisfied, f.rated)

    open_fu = [
        f for f in records.followups if f.status == FollowupStatus.OPEN and f.business_date <= business_date
    ]
    overdue = [f for f in open_fu if f.due_date < as_of]
    dissatisfied_list.sort(key=lambda d: (d["rated_at"] or "", d["rating_id"]))
    return DaySummary(
        hall_id=hall_id,
        business_date=business_date,
        hall=hall,
        windows=windows,
        services=services,
        dissatisfied=dissatisfied_list,
        followups_open=len(open_fu),
        followups_overdue=len([f for f in overdue if f.kind != FollowupKind.PROMISED]),
        promised_overdue=len([f for f in overdue if f.kind == FollowupKind.PROMISED]),
    )


# ---- versions --------------------------------------------------------------------------------------
FIGURES_VERSION = 1
"""The version of the figures this code computes; sent by the kiosk with its 日结 figures."""

#: The version that introduced each figure: a field of `Figures`, or a top-level key of
#: `DaySummary.figures_dict` (hall, windows, services, dissatisfied). Version 1 is the first release.
FIGURE_SINCE: dict[str, int] = {
    **{f.name: 1 for f in fields(Figures)},
    **dict.fromkeys(("hall", "windows", "services", "dissatisfied"), 1),
}


def figures_as_of(
    figures: Mapping[str, Any], version: int, since: Mapping[str, int] = FIGURE_SINCE
) -> dict[str, Any]:
    """The part of `figures` (a `figures_dict`) that a kiosk at `version` computes. A figure missing
    from `since` counts as version 1: it is always compared, never silently skipped."""

    def known(name: str) -> bool:
        return since.get(name, 1) <= version

    def one(f: Any) -> Any:
        return {k: v for k, v in f.items() if known(k)} if isinstance(f, Mapping) else f

    out: dict[str, Any] = {}
    for key, value in figures.items():
        if not known(key):
            continue
        if key == "hall":
            out[key] = one(value)
        elif key in ("windows", "services") and isinstance(value, Mapping):
            out[key] = {k: one(v) for k, v in value.items()}
        else:
            out[key] = value
    return out


def figures_agree(
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    their_version: int | None,
    *,
    version: int = FIGURES_VERSION,
    since: Mapping[str, int] = FIGURE_SINCE,
) -> bool:
    """Whether a kiosk's 日结 figures (`theirs`, computed at `their_version`; None: sent before figures
    were versioned, i.e. version 1) equal ours (computed at `version`) on every figure both know."""
    common = min(their_version or 1, version)
    return figures_as_of(ours, common, since) == figures_as_of(theirs, common, since)


# ---- the records' fields ---------------------------------------------------------------------------
def _fields_of(rec: type) -> dict[str, type]:
    hints = typing.get_type_hints(rec)
    out: dict[str, type] = {}
    for f in fields(rec):
        args = [a for a in typing.get_args(hints[f.name]) if a is not type(None)]
        out[f.name] = args[0] if args else hints[f.name]
    return out


#: The snapshot fields each kind of record contributes to the figures, with their Python type (None
#: allowed where the record says so). The kiosk's outbox snapshots carry at least these; the centre
#: extracts exactly these.
RECORD_FIELDS: dict[str, dict[str, type]] = {
    "tickets": _fields_of(TicketRec),
    "handlings": _fields_of(HandlingRec),
    "ratings": _fields_of(RatingRec),
    "followups": _fields_of(FollowupRec),
    "ignored": _fields_of(IgnoredRec),
}
