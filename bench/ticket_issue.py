"""Benchmark (not a test): issue 2,000 tickets through QueueEngine on a real SQLite file, then
compute the day summary. Prints progress, then one JSON object on its last line:

    {"tickets": 2000, "issue_p50_ms": …, "issue_p99_ms": …, "issue_max_ms": …, "summary_ms": …, …}

Issue times include the commit (WAL, synchronous=FULL), measured as the caller sees them.
Run:  .venv/bin/python bench/ticket_issue.py [--tickets N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.config.loader import load_config  # noqa: E402
from kiosk.config.schema import HallConfig  # noqa: E402
from kiosk.db.database import Database  # noqa: E402
from kiosk.engine.clock import ManualClock  # noqa: E402
from kiosk.engine.engine import QueueEngine  # noqa: E402

# 09:05 on Thursday 2026-11-26, Asia/Shanghai: a working day, the morning session open.
START = dt.datetime(2026, 11, 26, 1, 5, tzinfo=dt.UTC)


def bench_config() -> HallConfig:
    """The sample hall with every daily cap at the maximum (999): 2,000 tickets spread over services."""
    data = load_config(ROOT / "assets" / "hall.sample.yaml").model_dump()
    for service in data["services"]:
        service["daily_cap"] = 999
    return HallConfig.model_validate(data)


def nearest_rank(values: list[float], pct: float) -> float:
    """The smallest value with at least pct % of values at or below it (as the day summary's P90)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    args = parser.parse_args()
    config = bench_config()
    codes = [s.code for s in config.services]
    categories = [c.code for c in config.priority.categories]
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        db = Database(Path(tmp) / "kiosk.db")
        clock = ManualClock(START)
        engine = QueueEngine(config, db, clock)
        times: list[float] = []
        for i in range(args.tickets):
            clock.advance(0.9)  # 2,000 tickets in 30 minutes of hall time, all inside the session
            code = codes[i % len(codes)]
            priority = categories[i % len(categories)] if i % 7 == 0 else None
            t0 = time.perf_counter()
            engine.issue(code, priority=priority, request_id=f"bench-{i}")
            times.append((time.perf_counter() - t0) * 1000)
            if (i + 1) % 500 == 0:
                print(f"issued {i + 1}: last 500 median {statistics.median(times[-500:]):.2f} ms", flush=True)
        t0 = time.perf_counter()
        summary = engine.summary()
        summary_ms = (time.perf_counter() - t0) * 1000
        assert summary.hall.issued == args.tickets
        db.close()
    result = {
        "tickets": args.tickets,
        "issue_p50_ms": round(nearest_rank(times, 50), 2),
        "issue_p99_ms": round(nearest_rank(times, 99), 2),
        "issue_max_ms": round(max(times), 2),
        "issue_mean_ms": round(statistics.fmean(times), 2),
        "summary_ms": round(summary_ms, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
