"""Adding stored hall-day figures up over halls, days, windows or staff.

Counts add; means are sum ÷ count of the stored sums; rates are recomputed from the added counts (never
averaged); a P90 over more than one stored row comes from the added 10-second histograms: the nearest-rank
P90 of the merged distribution, rounded down to its 10-second step (the exact nearest-rank value lies
within the 10 seconds above it). One hall-day on its own keeps its exact 日结 P90.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.centre.day_store import COUNTS, HIST_BUCKET_S
from sync.contract.figures import Figures

SUMS = ("wait_n", "wait_sum_s", "service_n", "service_sum_s")


def rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def hist_p90(hist: Mapping[int, int]) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    rank = max(1, math.ceil(0.9 * total))
    seen = 0
    for bucket in sorted(hist):
        seen += hist[bucket]
        if seen >= rank:
            return float(bucket * HIST_BUCKET_S)
    return None  # pragma: no cover - the loop always reaches the rank


@dataclass
class Acc:
    """Running totals of stored rows (one hall-day row, or a SQL group's sums)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    levels: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SUMS, 0.0))
    wait_hist: dict[int, int] = field(default_factory=dict)
    service_hist: dict[int, int] = field(default_factory=dict)
    rows: int = 0
    exact: dict[str, Any] | None = None
    """The only row's own day figures (exact P90s), while exactly one row was added."""
    with_hist: bool = True

    def add(self, row: Mapping[str, Any]) -> None:
        self.rows += 1
        self.exact = dict(row) if self.rows == 1 and "wait_p90_s" in row else None
        for c in COUNTS:
            self.counts[c] += int(row.get(c) or 0)
        for lv in range(1, 6):
            self.levels[lv] += int(row.get(f"level_{lv}") or 0)
        for s in SUMS:
            self.sums[s] += float(row.get(s) or 0)
        for name, into in (("wait_hist", self.wait_hist), ("service_hist", self.service_hist)):
            hist = row.get(name)
            if hist is None:
                self.with_hist = False
                continue
            for k, v in hist.items():
                b = int(k)
                into[b] = into.get(b, 0) + int(v)

    def figures(self) -> Figures:
        f = Figures(**self.counts, levels=dict(self.levels))
        wn, sn = int(self.sums["wait_n"]), int(self.sums["service_n"])
        f.wait_mean_s = round(self.sums["wait_sum_s"] / wn, 1) if wn else None
        f.service_mean_s = round(self.sums["service_sum_s"] / sn, 1) if sn else None
        if self.exact is not None:
            f.wait_p90_s, f.service_p90_s = self.exact["wait_p90_s"], self.exact["service_p90_s"]
        elif self.with_hist:
            f.wait_p90_s, f.service_p90_s = hist_p90(self.wait_hist), hist_p90(self.service_hist)
        f.evaluation_rate = rate(f.rated, f.finished)
        f.satisfaction_rate = rate(f.satisfied, f.rated)
        return f


def combine(rows: Iterable[Mapping[str, Any]]) -> Figures:
    acc = Acc()
    for r in rows:
        acc.add(r)
    return acc.figures()
