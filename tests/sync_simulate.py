"""A simulated hall day as outbox events (the event contract, docs/sync-events.md).

Shipped in the package, like a virtual printer: the sync tests, the benchmark and the screenshot script
run the real client and centre on it. Deterministic for a given seed. Every ticket lives its own life
(issued → printed → called → [recalled] → started → finished → rating → follow-ups, or a no-show), and
the events of all tickets are merged in time order and numbered 1, 2, 3 … like the kiosk's outbox.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

SERVICES = [
    ("SB01", "城乡居民养老保险参保登记", "A"),
    ("SB02", "城乡居民医疗保险参保缴费", "A"),
    ("SB03", "社保卡申领", "A"),
    ("MZ01", "最低生活保障申请", "B"),
    ("MZ03", "高龄津贴申请", "B"),
    ("CL01", "残疾人证申领", "C"),
    ("ZH01", "居住证申领", "D"),
    ("ZH02", "居住证明开具", "D"),
]
_MORNING = (timedelta(hours=9), timedelta(hours=12))  # 09:00–12:00, after local midnight
_AFTERNOON = (timedelta(hours=14), timedelta(hours=17, minutes=30))  # 14:00–17:30


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def hall_day(
    hall_id: str,
    kiosk_id: str,
    day: date,
    tickets: int = 60,
    windows: int = 4,
    seed: int = 0,
    start_seq: int = 1,
    close: bool = True,
    staff: bool = False,
) -> list[dict[str, Any]]:
    """All events of one hall-day, seq from ``start_seq``. With ``staff``, each window has a staff
    member signed in for the morning and another for the afternoon (``staff_id`` on the handlings)."""
    rng = random.Random(f"{seed}:{hall_id}:{day}")
    base = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)  # local midnight
    bday = day.isoformat()
    raw: list[tuple[datetime, int, str, dict[str, Any]]] = []
    counter = 0

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def add(at: datetime, typ: str, payload: dict[str, Any]) -> None:
        nonlocal counter
        counter += 1
        raw.append((at, counter, typ, payload))

    numbers: dict[str, int] = {}
    # staff quality differs by window, so the summary has something to rank
    window_mood = {w: rng.uniform(0.0, 0.08) for w in range(1, windows + 1)}
    for _ in range(tickets):
        code, name, prefix = SERVICES[rng.randrange(len(SERVICES))]
        span = _MORNING if rng.random() < 0.6 else _AFTERNOON
        # residents come early in each session: a triangular spread peaking about 40 minutes in
        issued = base + span[0] + (span[1] - span[0]) * rng.triangular(0, 1, 0.2)
        numbers[prefix] = numbers.get(prefix, 0) + 1
        t = {
            "id": uid(),
            "hall_id": hall_id,
            "business_date": bday,
            "number": f"{prefix}{numbers[prefix]:03d}",
            "prefix": prefix,
            "seq_no": numbers[prefix],
            "service_code": code,
            "service_name": name,
            "priority": "elderly" if rng.random() < 0.1 else None,
            "issued_at": _iso(issued),
            "status": "waiting",
            "print_status": "pending",
            "print_error": None,
            "reprints": 0,
        }
        add(issued, "ticket.issued", {"ticket": dict(t)})
        t["print_status"] = "printed" if rng.random() > 0.01 else "on_screen"
        add(issued + timedelta(seconds=2), "ticket.print_result", {"ticket": dict(t)})
        win = rng.randint(1, windows)
        rush = 1.8 if issued - base < span[0] + timedelta(hours=1) else 1.0  # the first hour queues up
        called = issued + timedelta(minutes=rng.uniform(0.5, 12 + 8 * (win % 3)) * rush)
        h: dict[str, Any] = {
            "id": uid(),
            "ticket_id": t["id"],
            "hall_id": hall_id,
            "business_date": bday,
            "window_number": win,
            "service_code": code,
            "called_at": _iso(called),
            "last_called_at": _iso(called),
            "recalls": 0,
            "started_at": None,
            "finished_at": None,
            "outcome": None,
            "missing_materials": [],
            "promised_due": None,
        }
        if staff:
            h["staff_id"] = f"{win:02d}{'1' if span is _MORNING else '2'}"
        t["status"] = "called"
        add(called, "handling.called", {"ticket": dict(t), "handling": dict(h)})
        if rng.random() < 0.15:
            again = called + timedelta(minutes=1)
            h.update(recalls=1, last_called_at=_iso(again))
            add(again, "handling.recalled", {"handling": dict(h)})
        if rng.random() < 0.06:
            t["status"] = "no_show"
            h["outcome"] = "no_show"
            add(called + timedelta(minutes=3), "handling.no_show", {"ticket": dict(t), "handling": dict(h)})
            continue
        started = called + timedelta(seconds=rng.uniform(20, 120))
        h["started_at"] = _iso(started)
        add(started, "handling.started", {"handling": dict(h)})
        finished = started + timedelta(minutes=rng.uniform(2, 18))
        roll = rng.random()
        outcome = "completed" if roll < 0.8 else "materials_incomplete" if roll < 0.9 else "promised"
        h.update(finished_at=_iso(finished), outcome=outcome)
        fups: list[dict[str, Any]] = []
        if outcome == "materials_incomplete":
            h["missing_materials"] = ["户口簿原件"]
        if outcome == "promised":
            due = day + timedelta(days=rng.choice([1, 2, 5, 10]))
            h["promised_due"] = due.isoformat()
            fups.append(_followup(uid(), "promised", t, h, None, due))
        t["status"] = "finished"
        payload: dict[str, Any] = {"ticket": dict(t), "handling": dict(h)}
        if fups:
            payload["followups"] = [dict(f) for f in fups]
        add(finished, "handling.finished", payload)
        r: dict[str, Any] = {
            "id": uid(),
            "handling_id": h["id"],
            "ticket_id": t["id"],
            "hall_id": hall_id,
            "business_date": bday,
            "window_number": win,
            "service_code": code,
            "opened_at": _iso(finished),
            "expires_at": _iso(finished + timedelta(seconds=60)),
            "status": "open",
            "level": None,
            "rated_at": None,
            "satisfied": None,
            "dissatisfied": None,
            "ignored_presses": 0,
        }
        add(finished + timedelta(seconds=1), "rating.opened", {"rating": dict(r)})
        if rng.random() < 0.12:
            r["status"] = "unrated"
            add(finished + timedelta(seconds=61), "rating.expired", {"rating": dict(r)})
            continue
        mood = window_mood[win]
        level = (
            1
            if rng.random() > 0.35 + mood
            else rng.choices([2, 3, 4, 5], [6, 3, 0.2 + 6 * mood, 6 * mood])[0]
        )
        rated = finished + timedelta(seconds=rng.uniform(3, 40))
        r.update(
            status="rated", level=level, rated_at=_iso(rated), satisfied=level <= 3, dissatisfied=level >= 4
        )
        payload = {"rating": dict(r)}
        if level >= 4:
            payload["followups"] = [
                _followup(uid(), "callback", t, h, r["id"], day + timedelta(days=1)),
                _followup(uid(), "rectification", t, h, r["id"], day + timedelta(days=21)),
            ]
        add(rated, "rating.recorded", payload)
        if rng.random() < 0.05:
            press = {
                "hall_id": hall_id,
                "business_date": bday,
                "window_number": win,
                "at": _iso(rated + timedelta(seconds=2)),
                "reason": "already_rated",
            }
            r["ignored_presses"] = 1
            add(
                rated + timedelta(seconds=2),
                "rating.press_ignored",
                {"rating": dict(r), "ignored_press": press},
            )
    for w in range(1, windows + 1):
        if rng.random() < 0.3:
            at = base + timedelta(hours=10, minutes=rng.randint(0, 50))
            add(at, "window.paused", {"window": {"hall_id": hall_id, "number": w, "status": "paused"}})
            add(
                at + timedelta(minutes=10),
                "window.resumed",
                {"window": {"hall_id": hall_id, "number": w, "status": "open"}},
            )
    if close:
        at = base + timedelta(hours=18)
        add(
            at,
            "day.closed",
            {"day_close": {"hall_id": hall_id, "business_date": bday, "closed_at": _iso(at)}},
        )
    raw.sort(key=lambda e: (e[0], e[1]))
    return [
        {
            "event_id": uid(),
            "seq": start_seq + i,
            "kiosk_id": kiosk_id,
            "hall_id": hall_id,
            "type": typ,
            "occurred_at": _iso(at),
            "business_date": bday,
            "payload": payload,
        }
        for i, (at, _, typ, payload) in enumerate(raw)
    ]


def _followup(
    fid: str, kind: str, t: dict[str, Any], h: dict[str, Any], rating_id: str | None, due: date
) -> dict[str, Any]:
    return {
        "id": fid,
        "kind": kind,
        "hall_id": t["hall_id"],
        "business_date": t["business_date"],
        "ticket_id": t["id"],
        "handling_id": h["id"],
        "rating_id": rating_id,
        "window_number": h["window_number"],
        "service_code": t["service_code"],
        "due_date": due.isoformat(),
        "status": "open",
        "result": None,
        "done_at": None,
    }


def latest_snapshots(events: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """What the centre should hold after materialising ``events``: per kind, id → newest snapshot."""
    out: dict[str, dict[str, dict[str, Any]]] = {"ticket": {}, "handling": {}, "rating": {}, "followup": {}}
    for ev in sorted(events, key=lambda e: e["seq"]):
        p = ev["payload"]
        for kind in ("ticket", "handling", "rating"):
            if kind in p:
                out[kind][p[kind]["id"]] = p[kind]
        for f in p.get("followups") or []:
            out["followup"][f["id"]] = f
    return out
