"""Residents arriving at the kiosk: a non-homogeneous Poisson process shaped like a hall day.

Pure and seeded: the same (config, day, window of time, seed) gives the same residents. The rate follows
the hall's own sessions: a peak soon after the first opening, a slow end of it, a smaller peak after a
later opening and a quiet end of day. Arrivals are drawn by thinning: candidate
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

# Residents per hour along a session, by the fraction of the session gone (0 = opening, 1 = close);
# linear in between, 0 outside the hall's sessions. The first session of the day has the morning's
# shape (people come early, before work or before the 医保 counter's queue grows), later sessions the
# afternoon's smaller one. On the sample hall (09:00–12:00, 14:00–17:30) this is about 120 tickets a
# day at volume 1.0 — a busy community hall, not a city centre — and it follows any hall's own hours.
FIRST_SESSION: tuple[tuple[float, float], ...] = (
    (0.0, 30.0),
    (1 / 6, 42.0),
    (1 / 3, 40.0),
    (1 / 2, 28.0),
    (2 / 3, 20.0),
    (5 / 6, 12.0),
    (1.0, 11.0),
)
LATER_SESSION: tuple[tuple[float, float], ...] = (
    (0.0, 18.0),
    (1 / 7, 22.0),
    (2 / 7, 20.0),
    (4 / 7, 14.0),
    (6 / 7, 6.0),
    (1.0, 0.0),
)
PEAK_PER_HOUR = max(r for _, r in FIRST_SESSION + LATER_SESSION)

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


def _along(shape: tuple[tuple[float, float], ...], fraction: float) -> float:
    for (f0, r0), (f1, r1) in itertools.pairwise(shape):
        if f0 <= fraction <= f1:
            return r0 + (r1 - r0) * (fraction - f0) / (f1 - f0)
    return 0.0


def rate_per_hour(config: HallConfig, at_local: dt.time) -> float:
    """Residents per hour at a local time of day: the session's shape, stretched to its length."""
    minutes = at_local.hour * 60 + at_local.minute + at_local.second / 60
    for i, session in enumerate(config.sessions):
        start = session.start.hour * 60 + session.start.minute
        end = session.end.hour * 60 + session.end.minute
        if start <= minutes < end:
            return _along(FIRST_SESSION if i == 0 else LATER_SESSION, (minutes - start) / (end - start))
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
    peak = PEAK_PER_HOUR * volume
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
        if rng.random() * peak >= rate_per_hour(config, local(t, config.timezone).time()) * volume:
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
