"""Residents at the touch screen: each arrival taps for a ticket (some tap twice); if the kiosk is dark
they wait in front of it and try again.

A tap is queued on the kiosk's desk thread and its ticket collected a little later, as the touch screen
does it, so that printing never holds up the keypads. A tap still in the kiosk when its power is cut is
lost with the touch screen's memory: that resident taps again after the restart, as a new request.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kiosk.sim.arrivals import Arrival
from kiosk.sim.hall import Hall

COLLECT_EVERY_S = 15.0


class Residents:
    def __init__(self, hall: Hall, people: list[Arrival]):
        self.hall = hall
        self.people = people
        self.pending: dict[str, Arrival] = {}
        self.first_ids: dict[str, str] = {}
        self._collecting = False
        hall.collect_taps = self.collect

    def schedule(self) -> None:
        for a in self.people:
            self.hall.at(a.at, self.arrive, a)

    @staticmethod
    def request(a: Arrival, tap_id: str | None = None) -> dict[str, Any]:
        return {
            "op": "tap",
            "tap_id": tap_id or a.request_id,
            "service": a.service_code,
            "priority": a.priority,
            "request_id": a.request_id,
        }

    def arrive(self, a: Arrival) -> None:
        h = self.hall
        if h.call(self.request(a)) is None:  # the kiosk is dark: wait in front of it
            h.after(30, self.arrive, a)
            return
        if (h.now() - a.at).total_seconds() > 60:
            h.ledger.arrivals_delayed += 1  # stood in front of a dark or starting kiosk
        self.pending[a.request_id] = a
        if a.double_tap and h.call(self.request(a, a.request_id + "#2")) is not None:
            self.pending[a.request_id + "#2"] = a
        if not self._collecting:
            self._collecting = True
            h.after(COLLECT_EVERY_S, self._collect_event)

    def _collect_event(self) -> None:
        self.collect()
        if self.pending:
            self.hall.after(COLLECT_EVERY_S, self._collect_event)
        else:
            self._collecting = False

    def collect(self, wait: float = 0.0) -> None:
        reply = self.hall.call({"op": "collect", "wait": wait})
        for res in (reply or {}).get("results", []):
            tap_id = res.pop("tap_id")
            a = self.pending.pop(tap_id, None)
            if a is None:
                continue
            if tap_id.endswith("#2"):
                self._second_tap(a, res)
            else:
                self.record(a, res)

    def _second_tap(self, a: Arrival, res: dict[str, Any]) -> None:
        led = self.hall.ledger
        led.double_taps += 1
        if res.get("created") or res.get("id") != self.first_ids.get(a.request_id):
            led.double_tap_mismatch.append(a.request_id)

    def record(self, a: Arrival, reply: dict[str, Any]) -> None:
        if "id" not in reply:
            self.hall.ledger.refused.append({"request_id": a.request_id, **reply})
            return
        self.first_ids[a.request_id] = reply["id"]
        self.hall.ledger.issued.setdefault(
            reply["id"],
            {
                "number": reply["number"],
                "service": a.service_code,
                "priority": a.priority,
                "request_id": a.request_id,
                "on_screen": reply.get("on_screen"),
                "printed": reply.get("printed"),
                "at": reply["issued_at"],
            },
        )

    def after_power_cut(self) -> list[str]:
        """Taps the dead kiosk never answered. Whoever got a paper ticket (or saw the number on the screen)
        before the power went keeps it; the others tap once more, as a new request. Returns the latter."""
        lost = {tap.split("#")[0]: a for tap, a in self.pending.items()}
        self.pending.clear()
        reply = self.hall.call({"op": "lookup", "request_ids": sorted(lost)}) or {}
        for t in reply.get("tickets", []):
            if t["print_status"] != "pending":
                printed = t["print_status"] in ("printed", "unverified")
                self.record(lost.pop(t["request_id"]), {**t, "on_screen": not printed, "printed": printed})
        for rid, a in lost.items():
            self.arrive(dataclasses.replace(a, request_id=rid + "-again", double_tap=False))
        return sorted(lost)
