"""Simulated window staff and the residents they serve, pressing keys on the simulated keypad bus.

A clerk calls the next resident (CALL_NEXT), waits for them (RECALL up to twice, then NO_SHOW),
serves for a sampled duration and finishes: 办结 with the REQUEST_RATING key (which also invites the
resident to rate), 转办 with the TRANSFER key, or — from the staff screen's software caller, since a
keypad has no key for them — 材料不全 (naming what is missing) or 承诺件. The resident then rates after
a delay, or never, or too late; some press twice. Clerks stop calling shortly after each session ends.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from kiosk.config.schema import HallConfig, Window
from kiosk.engine.clock import local, utc_from_local
from kiosk.sim.hall import Hall

NO_SHOW_FIRST_CALL = 0.07
"""Called residents who are not at the window at the first call."""
COMES_AFTER_RECALL = 0.45
OUTCOME_SHARES = {"referred": 0.03, "materials_incomplete": 0.09, "promised": 0.3}
"""承诺件 share applies only to services with a promised time limit."""
RATES = 0.8
LATE_RATER = 0.04
"""Of those who rate: press after the 60 s slot has expired (ignored, never counted)."""
PRESS_TWICE = 0.1
LEVEL_WEIGHTS = {1: 56, 2: 26, 3: 9, 4: 6, 5: 3}
LONG_WAIT_LEVEL_WEIGHTS = {1: 34, 2: 30, 3: 18, 4: 12, 5: 6}
"""After waiting more than LONG_WAIT, residents are less pleased (the figures should show it)."""
LONG_WAIT = dt.timedelta(hours=1)
CALL_GRACE = dt.timedelta(minutes=20)
"""Clerks keep calling this long after a session ends, to serve those still waiting."""


class WindowStaff:
    def __init__(self, hall: Hall, window: Window, rng: random.Random, stop_calling: dt.datetime):
        assert window.keypad is not None
        self.hall = hall
        self.config: HallConfig = hall.config
        self.window = window
        self.number = window.number
        self.address = window.keypad.address
        self.rng = rng
        self.stop_calling = stop_calling
        self.ticket: dict[str, Any] | None = None
        self.recalls = 0
        self.outcome: tuple[str, list[str]] | None = None
        self.pause_at: dt.datetime | None = None
        self.paused = False
        self.nobody = False
        levels = {level: key for key, level in self.config.rating.keypad_keys.items()}
        self.level_keys = {lv: levels[lv] for lv in LEVEL_WEIGHTS if lv in levels}

    # ---- working hours ------------------------------------------------------------------------------
    def _periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        tz = self.config.timezone
        return [
            (utc_from_local(day, s.start, tz), utc_from_local(day, s.end, tz) + CALL_GRACE)
            for s in self.config.sessions
        ]

    def next_start(self, t: dt.datetime) -> dt.datetime | None:
        """None while the clerk is at work at `t`, else when the next working period starts."""
        if t >= self.stop_calling:
            return t + dt.timedelta(days=365)
        for start, end in self._periods(local(t, self.config.timezone).date()):
            if start <= t < end:
                return None
            if t < start:
                return start + dt.timedelta(seconds=self.rng.uniform(0, 180))
        return t + dt.timedelta(days=365)

    def begin(self) -> None:
        start = self.next_start(self.hall.now())
        self.hall.at(start or self.hall.now(), self.tick)

    # ---- calling ------------------------------------------------------------------------------------
    def tick(self) -> None:
        h, t = self.hall, self.hall.now()
        later = self.next_start(t)
        if later is not None:
            if later < self.stop_calling:
                h.at(later, self.tick)
            return
        if self.pause_at is not None and t >= self.pause_at and not self.paused:
            self._pause()
            return
        r = h.press_staff(self.address, "CALL_NEXT")
        if r.retry_at:
            h.at(r.retry_at, self.tick)
        elif r.error == "QueueEmpty":
            h.after(self.rng.uniform(60, 150), self.tick)
        elif r.error:
            self._reconcile(f"CALL_NEXT refused: {r.error}")
        else:
            assert r.data is not None
            self._called(r.data["result"])

    def _pause(self) -> None:
        """临时离岗: pause the window for ten minutes, then resume (the same PAUSE key toggles)."""
        r = self.hall.press_staff(self.address, "PAUSE")
        if r.retry_at or r.error:
            self.hall.at(r.retry_at or self.hall.now() + dt.timedelta(seconds=60), self.tick)
            return
        self.paused = True
        self.hall.note(f"{self.number}号窗口暂停服务（临时离岗）")
        self.hall.after(600, self._resume)

    def _resume(self) -> None:
        r = self.hall.press_staff(self.address, "PAUSE")
        if r.retry_at or r.error:
            self.hall.at(r.retry_at or self.hall.now() + dt.timedelta(seconds=60), self._resume)
            return
        self.pause_at = None
        self.hall.note(f"{self.number}号窗口恢复服务")
        self.hall.after(5, self.tick)

    def _called(self, result: dict[str, Any]) -> None:
        self.ticket = result
        self.recalls = 0
        self.outcome = None
        self.hall.ledger.calls.append(
            {"window": self.number, "ticket_id": result["ticket_id"], "at": self.hall.now().isoformat()}
        )
        # Nobody holds a ticket committed at the power cut: it is recalled twice and marked a no-show.
        if result["ticket_id"] not in self.hall.ledger.issued:
            self.hall.collect_taps(5.0)  # the resident may still be at the screen, taking the paper
        self.nobody = result["ticket_id"] not in self.hall.ledger.issued
        if self.nobody or self.rng.random() < NO_SHOW_FIRST_CALL:
            self.hall.after(self.rng.uniform(60, 120), self.recall)
        else:
            self.hall.after(self.rng.uniform(15, 60) + self._duration(), self.serve_end)

    def _duration(self) -> float:
        assert self.ticket is not None
        minutes = self.config.service(self.ticket["service_code"]).default_service_minutes
        return max(90.0, min(3 * minutes * 60, minutes * 60 * math.exp(self.rng.gauss(-0.06, 0.35))))

    def recall(self) -> None:
        r = self.hall.press_staff(self.address, "RECALL")
        if r.retry_at:
            self.hall.at(r.retry_at, self.recall)
            return
        if r.error:
            self._reconcile(f"RECALL refused: {r.error}")
            return
        self.recalls += 1
        if not self.nobody and self.rng.random() < COMES_AFTER_RECALL:
            self.hall.after(self.rng.uniform(30, 90) + self._duration(), self.serve_end)
        elif self.recalls < 2:
            self.hall.after(self.rng.uniform(60, 120), self.recall)
        else:
            self.hall.after(self.rng.uniform(60, 90), self.no_show)

    def no_show(self) -> None:
        r = self.hall.press_staff(self.address, "NO_SHOW")
        if r.retry_at:
            self.hall.at(r.retry_at, self.no_show)
            return
        if r.error:
            self._reconcile(f"NO_SHOW refused: {r.error}")
            return
        assert self.ticket is not None
        self.hall.ledger.no_shows.append(self.ticket["ticket_id"])
        self.ticket = None
        self.hall.after(self.rng.uniform(20, 60), self.tick)

    # ---- finishing ------------------------------------------------------------------------------------
    def _choose_outcome(self) -> tuple[str, list[str]]:
        assert self.ticket is not None
        service = self.config.service(self.ticket["service_code"])
        roll = self.rng.random()
        if roll < OUTCOME_SHARES["referred"]:
            return "referred", []
        roll -= OUTCOME_SHARES["referred"]
        if roll < OUTCOME_SHARES["materials_incomplete"] and service.guide.materials:
            return "materials_incomplete", [self.rng.choice(service.guide.materials).name]
        roll -= OUTCOME_SHARES["materials_incomplete"]
        if roll < OUTCOME_SHARES["promised"] and service.guide.promised_days > 0:
            return "promised", []
        return "completed", []

    def serve_end(self) -> None:
        h = self.hall
        if self.outcome is None:
            self.outcome = self._choose_outcome()
        outcome, missing = self.outcome
        if outcome == "completed":
            r = h.press_staff(self.address, "REQUEST_RATING")
        elif outcome == "referred":
            r = h.press_staff(self.address, "TRANSFER")
        else:
            r = h.window_op("finish", self.number, outcome, missing)
        if r.retry_at:
            h.at(r.retry_at, self.serve_end)
            return
        if r.error:
            self._reconcile(f"finish ({outcome}) refused: {r.error}")
            return
        assert self.ticket is not None
        tid = self.ticket["ticket_id"]
        h.ledger.finished[tid] = {"window": self.number, "outcome": outcome, "at": h.now().isoformat()}
        self._resident_rates(tid)
        self.ticket = None
        h.after(self.rng.uniform(40, 75), self.tick)

    def _resident_rates(self, ticket_id: str) -> None:
        rng = self.rng
        if rng.random() >= RATES:
            return
        issued = self.hall.ledger.issued.get(ticket_id, {}).get("at")
        waited = self.hall.now() - dt.datetime.fromisoformat(issued) if issued else dt.timedelta(0)
        table = LONG_WAIT_LEVEL_WEIGHTS if waited > LONG_WAIT else LEVEL_WEIGHTS
        level = rng.choices(list(self.level_keys), [table[lv] for lv in self.level_keys])[0]
        late = rng.random() < LATE_RATER
        unhappy = [lv for lv in self.level_keys if lv in self.config.rating.dissatisfied_levels]
        if self.hall.dissatisfied_owed and unhappy:
            level, late = rng.choice(unhappy), False
        delay = rng.uniform(65, 100) if late else rng.uniform(3, 35)
        self.hall.after(delay, self.press, ticket_id, level, "late" if late else "first")
        if not late and rng.random() < PRESS_TWICE:
            again = level if rng.random() < 0.5 else rng.choice(list(self.level_keys))
            kind = "twice-same-key" if again == level else "twice-other-key"
            self.hall.after(delay + rng.uniform(0.5, 8), self.press, ticket_id, again, kind)

    def press(self, ticket_id: str, level: int, kind: str) -> None:
        key = self.level_keys[level]
        r = self.hall.press_rating(self.address, key, spaced=kind != "twice-same-key")
        if r.retry_at:
            self.hall.at(r.retry_at, self.press, ticket_id, level, kind)
            return
        self.hall.ledger.presses.append(
            {
                "window": self.number,
                "ticket_id": ticket_id,
                "level": level,
                "key": key,
                "kind": kind,
                "at": self.hall.now().isoformat(),
                "sent": r.error is None,
                "outcome": (r.data or {}).get("outcome") or r.error,
            }
        )
        if (r.data or {}).get("outcome") == "rated" and level in self.config.rating.dissatisfied_levels:
            self.hall.dissatisfied_owed = False

    # ---- after a refusal: believe the kiosk, not our memory -----------------------------------------
    def _reconcile(self, why: str) -> None:
        self.hall.ledger.unexpected.append(f"window {self.number}: {why}")
        st = self.hall.status()
        if st is None:
            self.hall.after(60, self._reconcile, why)
            return
        w = st["windows"][str(self.number)]
        if w["status"] == "paused":
            self.paused = False
            self.hall.at(self.hall.now(), self._resume)
        elif w["current"]:
            self.ticket = {"ticket_id": w["ticket_id"], "service_code": w["service_code"]}
            self.hall.after(60, self.serve_end)
        else:
            self.ticket = None
            self.hall.after(30, self.tick)
