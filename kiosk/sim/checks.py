"""After the nightly close and the final sync: does the street centre hold exactly the hall's day?

Each check compares the kiosk's database, the centre's database and the simulator's own ledger (what
residents and staff did), so a fault that lost, doubled or misattributed anything shows up by name.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import chinese_calendar
from sqlalchemy import Engine, func, select

from kiosk.config.schema import HallConfig
from kiosk.db import models as m
from kiosk.engine.clock import as_utc, business_date
from kiosk.engine.engine import QueueEngine
from kiosk.sim import centre_view as cv
from kiosk.sim.hall import Ledger
from sync.contract.figures import FINISHED


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)
    kiosk_figures: dict[str, Any] = field(default_factory=dict)
    centre_figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, bool(ok), detail))


def _norm(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}/{k}")
        return out
    return [] if a == b else [f"{path}: kiosk={a!r} centre={b!r}"]


def add_working_days(config: HallConfig, start: dt.date, days: int) -> dt.date:
    """Independent of the engine's WorkCalendar: the statutory calendar plus the hall's corrections."""

    def workday(d: dt.date) -> bool:
        if d in config.calendar.extra_workdays:
            return True
        if d in config.calendar.extra_holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:  # a year the State Council has not published yet
            return d.weekday() < 5

    d = start
    if days == 0:
        while not workday(d):
            d += dt.timedelta(days=1)
        return d
    left = days
    while left:
        d += dt.timedelta(days=1)
        if workday(d):
            left -= 1
    return d


def _kiosk_rows(engine: QueueEngine, day: dt.date) -> dict[str, list[Any]]:
    def q(s: Any) -> dict[str, list[Any]]:
        return {
            "tickets": list(s.scalars(select(m.Ticket).where(m.Ticket.business_date == day))),
            "handlings": list(s.scalars(select(m.Handling).where(m.Handling.business_date == day))),
            "ratings": list(s.scalars(select(m.Rating).where(m.Rating.business_date == day))),
            "followups": list(s.scalars(select(m.FollowUp).where(m.FollowUp.business_date <= day))),
            "ignored": list(s.scalars(select(m.IgnoredPress).where(m.IgnoredPress.business_date == day))),
            "outbox": [
                (e.seq, e.event_id) for e in s.scalars(select(m.OutboxEvent).order_by(m.OutboxEvent.seq))
            ],
            "closed": [s.get(m.DayClose, day)],
            "acked": [s.scalar(select(func.max(m.SyncState.acked_seq)))],
        }

    return engine.db.read(q)


def _published_diff(kiosk: dict[str, Any], published: dict[str, dict[str, str]]) -> list[str]:
    want: dict[str, dict[str, Any]] = {"hall": kiosk["hall"]}
    want.update({f"w{n}": f for n, f in kiosk["windows"].items()})
    want.update({f"s{c}": f for c, f in kiosk["services"].items()})
    out = [] if set(want) == set(published) else [f"rows {sorted(set(want) ^ set(published))}"]
    for key, figs in want.items():
        for name, shown in published.get(key, {}).items():
            value = figs.get(name)
            if ("" if value is None else str(value)) != shown:
                out.append(f"{key}.{name}: kiosk {value!r}, published {shown!r}")
    return out


def run_checks(
    config: HallConfig,
    engine: QueueEngine,
    centre: Engine,
    kiosk_id: str,
    day: dt.date,
    ledger: Ledger,
    pages: dict[str, str],
) -> Outcome:
    out = Outcome()
    hall_id = config.hall_id
    k = _kiosk_rows(engine, day)
    c = cv.centre_rows(centre, hall_id, day)

    # 1. the centre's summary equals the kiosk's 日结
    out.kiosk_figures = _norm(engine.summary(day).figures_dict())
    out.centre_figures = _norm(cv.centre_summary(centre, hall_id, day).figures_dict())
    diff = _diff(out.kiosk_figures, out.centre_figures)
    out.add("centre summary equals the kiosk's 日结", not diff, "; ".join(diff[:8]) or "identical")
    published = _published_diff(out.kiosk_figures, cv.csv_figures(pages.get("csv", ""), hall_id))
    out.add(
        "the centre's published night (CSV over HTTP) shows the kiosk's figures",
        "csv" in pages and "html" in pages and not published,
        "; ".join(published[:5]) or "hall, window and service rows identical",
    )
    out.add(
        "day closed at the kiosk and known closed at the centre",
        k["closed"][0] is not None and cv.centre_day_closed(centre, hall_id, day),
    )

    # 2. every ticket accounted for
    statuses = Counter(t.status for t in k["tickets"])
    stray = {s: n for s, n in statuses.items() if s not in ("finished", "no_show", "removed")}
    out.add(
        "every ticket ends served, no-show or removed at close",
        not stray and bool(k["tickets"]),
        f"{dict(statuses)}" + (f"; left open: {stray}" if stray else ""),
    )
    ids = {t.id for t in k["tickets"]}
    by_id = {t.id: t for t in k["tickets"]}
    ghosts, lost = ids - set(ledger.issued), set(ledger.issued) - ids
    # A tap committed just before the power cut reached nobody; the record must not claim it was printed.
    unprinted = [by_id[g] for g in ghosts if by_id[g].print_status == "pending"]
    out.add(
        "kiosk tickets are the tickets residents were given, or say on their record they never were",
        len(unprinted) == len(ghosts) and not lost,
        f"{len(ids)} tickets; handed out but unknown to the kiosk: {len(lost)}; committed at the power cut, "
        f"never printed: {', '.join(f'{t.number} (ended {t.status})' for t in unprinted) or 'none'}; "
        f"other tickets nobody holds: {len(ghosts) - len(unprinted)}",
    )
    wrong = [tid for tid in ledger.finished if by_id.get(tid) and by_id[tid].status != "finished"]
    wrong += [tid for tid in ledger.no_shows if by_id.get(tid) and by_id[tid].status != "no_show"]
    out.add(
        "staff's finishes and no-shows are what the kiosk recorded", not wrong, f"mismatched: {wrong[:5]}"
    )
    c_status = {t["id"]: t["status"] for t in c["tickets"]}
    out.add(
        "the centre holds every ticket with the kiosk's final status",
        c_status == {t.id: t.status for t in k["tickets"]},
        f"kiosk {len(ids)}, centre {len(c_status)}",
    )

    # 3. every rating belongs to a finished service at the right window
    handlings = {h.id: h for h in k["handlings"]}
    applied: dict[str, list[dict[str, Any]]] = {}
    for p in ledger.presses:
        if p.get("outcome") == "rated":
            applied.setdefault(p["ticket_id"], []).append(p)
    bad: list[str] = []
    for r in k["ratings"]:
        h = handlings.get(r.handling_id)
        if h is None or h.outcome not in FINISHED:
            bad.append(f"{r.id}: not a finished service")
        elif (h.window_number, h.ticket_id, h.service_code) != (r.window_number, r.ticket_id, r.service_code):
            bad.append(f"{r.id}: window/ticket/service differ from its service")
        elif r.status not in ("rated", "unrated"):
            bad.append(f"{r.id}: still {r.status} after close")
        elif r.status == "rated":
            assert r.rated_at is not None and h.finished_at is not None
            if not as_utc(h.finished_at) <= as_utc(r.rated_at) <= as_utc(r.expires_at):
                bad.append(f"{r.id}: rated outside its slot")
            mine = applied.get(r.ticket_id, [])
            if len(mine) != 1 or mine[0]["level"] != r.level or mine[0]["window"] != r.window_number:
                bad.append(f"{r.id}: level {r.level} is not the press of this ticket's resident")
    c_ratings = {x["id"]: (x["handling_id"], x["status"], x.get("level")) for x in c["ratings"]}
    k_ratings = {r.id: (r.handling_id, r.status, r.level) for r in k["ratings"]}
    rated = sum(r.status == "rated" for r in k["ratings"])
    out.add(
        "every rating belongs to a finished service at the right window, with its resident's key",
        not bad and c_ratings == k_ratings,
        f"{len(k_ratings)} rating slots, {rated} rated; problems: {bad[:4]}"
        + ("" if c_ratings == k_ratings else "; centre's ratings differ"),
    )
    outcomes = Counter(str(p.get("outcome")) for p in ledger.presses)
    ignored = sum(n for o, n in outcomes.items() if o.startswith("ignored:"))
    out.add(
        "every rating key press is its resident's rating, an ignored press the kiosk counted, "
        "or a double press the bus dropped",
        outcomes["rated"] == rated == sum(len(v) for v in applied.values()) and ignored == len(k["ignored"]),
        ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items()))
        + f"; kiosk counted {len(k['ignored'])} ignored",
    )
    finished_h = [h for h in k["handlings"] if h.outcome in FINISHED]
    per_handling = Counter(r.handling_id for r in k["ratings"])
    out.add(
        "one rating slot per finished service (一次一评)",
        all(per_handling[h.id] == 1 for h in finished_h) and len(per_handling) == len(finished_h),
        f"{len(finished_h)} finished services",
    )

    # 4. nothing duplicated
    events = cv.centre_events(centre, kiosk_id)
    seqs = [s for s, _ in events]
    out.add(
        "the centre holds each kiosk event exactly once, in an unbroken sequence",
        events == k["outbox"] and seqs == list(range(1, len(seqs) + 1)),
        f"kiosk outbox {len(k['outbox'])}, centre {len(events)}, centre cursor "
        f"{cv.centre_cursor(centre, kiosk_id)}, kiosk acked {k['acked'][0]}",
    )
    counts = {n: (len(k[n]), len(c[n])) for n in ("tickets", "handlings", "ratings", "followups", "ignored")}
    out.add(
        "same number of rows at the kiosk and the centre",
        all(a == b for a, b in counts.values()),
        ", ".join(f"{n} {a}/{b}" for n, (a, b) in counts.items()),
    )
    finished_per_ticket = Counter(h.ticket_id for h in finished_h)
    dup_t = [t for t, n in finished_per_ticket.items() if n > 1]
    out.add(
        "no double ticket from a double tap or a retried tap, no service finished twice",
        not dup_t and not ledger.double_tap_mismatch,
        f"{ledger.double_taps} double taps answered with the same ticket; twice-finished: {dup_t[:3]}",
    )

    # 5. follow-ups at the centre with correct working-day due dates
    c_fu: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for f in c["followups"]:
        c_fu.setdefault((f.get("rating_id") or f.get("handling_id"), f["kind"]), []).append(f)
    problems = []
    dissatisfied = [r for r in k["ratings"] if r.status == "rated" and r.dissatisfied]
    for r in dissatisfied:
        rated_day = business_date(as_utc(r.rated_at), config.timezone)
        for kind, n in (
            ("callback", config.rating.callback_working_days),
            ("rectification", config.rating.rectify_working_days),
        ):
            found = c_fu.get((r.id, kind), [])
            want = add_working_days(config, rated_day, n).isoformat()
            if len(found) != 1 or found[0]["due_date"] != want:
                problems.append(f"{r.id} {kind}: {[f['due_date'] for f in found]} (want {want})")
    promised = [h for h in k["handlings"] if h.outcome == "promised"]
    for h in promised:
        days = config.service(h.service_code).guide.promised_days
        want = add_working_days(config, h.business_date, days).isoformat()
        found = c_fu.get((h.id, "promised"), [])
        if len(found) != 1 or found[0]["due_date"] != want:
            problems.append(f"承诺件 {h.id}: {[f['due_date'] for f in found]} (want {want})")
    out.add(
        "every 差评 has a 回访 and a 整改 at the centre, due on the right working day",
        not problems,
        f"{len(dissatisfied)} dissatisfied ratings, {len(promised)} 承诺件; problems: {problems[:3]}",
    )
    return out
