"""Residents at the touch screen: each arrival takes a ticket (some tap twice); if the kiosk is dark
they wait in front of it and try again."""

from __future__ import annotations

from typing import Any

from kiosk.sim.arrivals import Arrival
from kiosk.sim.hall import Hall


class Residents:
    def __init__(self, hall: Hall, people: list[Arrival]):
        self.hall = hall
        self.people = people

    def schedule(self) -> None:
        for a in self.people:
            self.hall.at(a.at, self.arrive, a)

    def request(self, a: Arrival) -> dict[str, Any]:
        return {"op": "issue", "service": a.service_code, "priority": a.priority, "request_id": a.request_id}

    def arrive(self, a: Arrival) -> None:
        h = self.hall
        reply = h.call(self.request(a))
        if reply is None:  # the kiosk is dark: wait in front of it
            h.after(30, self.arrive, a)
            return
        if (h.now() - a.at).total_seconds() > 60:
            h.ledger.arrivals_delayed += 1  # stood in front of a dark or starting kiosk
        self.record(a, reply)
        if a.double_tap and "id" in reply:
            again = h.call(self.request(a))
            h.ledger.double_taps += 1
            if again is None or again.get("id") != reply["id"] or again.get("created"):
                h.ledger.double_tap_mismatch.append(a.request_id)

    def record(self, a: Arrival, reply: dict[str, Any]) -> None:
        if "id" not in reply:
            self.hall.ledger.refused.append({"request_id": a.request_id, **reply})
            return
        self.hall.ledger.issued.setdefault(
            reply["id"],
            {
                "number": reply["number"],
                "service": a.service_code,
                "priority": a.priority,
                "request_id": a.request_id,
                "on_screen": reply.get("on_screen"),
                "at": self.hall.now().isoformat(),
            },
        )
