"""Benchmark (not a test): issue 2,000 tickets through QueueEngine on a real SQLite file, serve a share
of them (called, finished, rated — some 差评 with their follow-ups), then time the day summary over
that day. Prints progress, then one JSON object on its last line:

    {"tickets": 2000, "issue_ms": {"n", "p50", "p90", "p99", "max"}, "summary_ms": {…}, "conditions": {…}}

Issue times include the commit (WAL, synchronous=FULL), measured as the caller sees them; the file is
in --dir (default: a temp dir; the JSON names its filesystem). The summary is timed --summaries
times (median reported) over a day with calls, finishes, ratings and follow-ups, as a real day has.
Run:  .venv/bin/python bench/ticket_issue.py [--tickets N] [--served N] [--summaries N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.conditions import Conditions, data_dir, summary  # noqa: E402
from kiosk.config.loader import load_config  # noqa: E402
from kiosk.config.schema import HallConfig  # noqa: E402
from kiosk.db.database import Database  # noqa: E402
from kiosk.engine.clock import ManualClock  # noqa: E402
from kiosk.engine.engine import QueueEngine  # noqa: E402
from kiosk.engine.errors import DomainError  # noqa: E402

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
    parser.add_argument("--served", type=int, default=400, help="tickets called, finished and rated")
    parser.add_argument("--summaries", type=int, default=20, help="how many times the summary is timed")
    parser.add_argument("--dir", type=Path, help="where the SQLite file lives (default: a temp dir)")
    args = parser.parse_args()
    config = bench_config()
    codes = [s.code for s in config.services]
    categories = [c.code for c in config.priority.categories]
    windows = [w.number for w in config.windows]
    with data_dir(args.dir, "kiosk-bench-") as where:
        db = Database(where / "kiosk.db")
        clock = ManualClock(START)
        engine = QueueEngine(config, db, clock)
        cond = Conditions(where)
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
        served = errors = 0
        while served < args.served:
            progressed = False
            for w in windows:
                if served >= args.served:
                    break
                clock.advance(5)  # 400 services in about five hours: the same business day
                try:
                    engine.call_next(w)
                    clock.advance(40)
                    engine.finish(w)
                    engine.press_rating_key(w, served % 5)  # every level; keys 3 and 4 are 差评
                except DomainError:
                    errors += 1
                    continue
                served += 1
                progressed = True
            if not progressed:
                break
        print(f"served {served} tickets ({errors} refused operations)", flush=True)
        summary_times: list[float] = []
        for _ in range(args.summaries):
            t0 = time.perf_counter()
            day = engine.summary()
            summary_times.append((time.perf_counter() - t0) * 1000)
        assert day.hall.issued == args.tickets and day.hall.finished == served, day.hall
        conditions = cond.finish()
        db.close()
    result = {
        "bench": "ticket_issue",
        "tickets": args.tickets,
        "served": served,
        "refused_operations": errors,
        "issue_ms": summary(times),
        "issue_mean_ms": round(statistics.fmean(times), 2),
        "summary_ms": summary(summary_times),
        "conditions": conditions,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
