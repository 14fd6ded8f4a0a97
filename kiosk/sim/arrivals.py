"""Residents arriving at the kiosk: a non-homogeneous Poisson process shaped like a hall day.

Pure and seeded: the same (config, day, window of time, seed) gives the same residents. The rate has a
morning peak (people come early, before work or before the 医保 counter's queue grows), a slow late
morning, a smaller peak after lunch and a quiet end of day. Arrivals are drawn by thinning: candidate
times from a homogeneous process at the peak rate, each kept with probability rate(t) / peak.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import local
from kiosk.engine.schedule import issuing_state
from kiosk.engine.workdays import WorkCalendar

# Residents per hour at local clock times; linear in between, 0 outside. About 120 tickets on a
# full day at volume 1.0: a busy community hall, not a city centre.
RATE_KNOTS: tuple[tuple[dt.time, float], ...] = (
    (dt.time(8, 30), 0.0),
    (dt.time(9, 0), 30.0),
    (dt.time(9, 30), 42.0),
    (dt.time(10, 0), 40.0),
    (dt.time(10, 30), 28.0),
    (dt.time(11, 0), 20.0),
    (dt.time(11, 30), 12.0),
    (dt.time(13, 30), 8.0),
    (dt.time(14, 0), 18.0),
    (dt.time(14, 30), 22.0),
    (dt.time(15, 0), 20.0),
    (dt.time(16, 0), 14.0),
    (dt.time(17, 0), 6.0),
    (dt.time(17, 30), 0.0),
)
# Relative demand per service code (codes of the sample hall); other codes weigh 3.
SERVICE_WEIGHTS = {
    "medical_insurance": 16,
    "pension_enrol": 10,
    "social_card": 7,
    "residence_proof": 8,
    "elderly_allowance": 6,
    "employment_registration": 5,
    "minimum_living": 3,
    "birth_registration": 3,
    "temp_relief": 2,
    "disability_card": 2,
    "veteran_card": 2,
}

# Share of residents on the green channel, per priority category code; other codes 1 %.
PRIORITY_SHARES = {"elderly": 0.08, "disabled": 0.02, "military": 0.02, "pregnant": 0.01}

DOUBLE_TAP_SHARE = 0.04
"""Residents who tap the big button twice (the second tap must not issue a second ticket)."""


@dataclass(frozen=True)
class Arrival:
    at: dt.datetime
    """UTC instant the resident touches the screen."""
    service_code: str
    priority: str | None
    request_id: str
    double_tap: bool


def rate_per_hour(at_local: dt.time) -> float:
    minutes = at_local.hour * 60 + at_local.minute + at_local.second / 60
    knots = [(t.hour * 60 + t.minute, r) for t, r in RATE_KNOTS]
    if minutes <= knots[0][0] or minutes >= knots[-1][0]:
        return 0.0
    for (m0, r0), (m1, r1) in itertools.pairwise(knots):
        if m0 <= minutes < m1:
            return r0 + (r1 - r0) * (minutes - m0) / (m1 - m0)
    return 0.0


def arrivals(
    config: HallConfig,
    start: dt.datetime,
    end: dt.datetime,
    seed: int,
    volume: float = 1.0,
) -> list[Arrival]:
    """Residents arriving in [start, end) while tickets are being issued, in time order."""
    rng = random.Random(seed)
    cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
    peak = max(r for _, r in RATE_KNOTS) * volume
    codes = [s.code for s in config.services]
    weights = [SERVICE_WEIGHTS.get(c, 3) for c in codes]
    categories = [c.code for c in config.priority.categories]
    shares = [PRIORITY_SHARES.get(c, 0.01) for c in categories]
    out: list[Arrival] = []
    t = start
    while True:
        t += dt.timedelta(seconds=rng.expovariate(peak / 3600))
        if t >= end:
            return out
        if rng.random() * peak >= rate_per_hour(local(t, config.timezone).time()) * volume:
            continue
        if not issuing_state(t, config, cal).open:
            continue  # after the cut-off residents are told to come back; they take no ticket
        code = rng.choices(codes, weights)[0]
        roll = rng.random()
        priority = None
        for cat, share in zip(categories, shares, strict=True):
            if roll < share:
                priority = cat
                break
            roll -= share
        out.append(
            Arrival(t, code, priority, f"sim-{seed}-{len(out) + 1:04d}", rng.random() < DOUBLE_TAP_SHARE)
        )
