"""Benchmark: the street's pages read from the stored figures, on PostgreSQL.

* ``street_night``: the street page (``GET /summary/{day}``) for one night of 200 halls × 2,000 tickets;
* ``month_report``: the street's month report (``GET /report/{month}``) for 200 halls × 22 working days
  × 300 tickets (September 2026 has 22 working days on the Chinese calendar);
* ``range_reports``: the street's report over each of ``--ranges`` on the same data (by default six
  weeks from 3 September, which take 1–2 September off the month row; six weeks over August, September
  and October, whose ends are read day by day; and a week in September, read day by day).

Each figure is the server's time for one request through the centre's ASGI application (in process, no
network), the first one after the data is in (no page cache warm), median of ``--repeat`` fresh
applications.

Seeding skips HTTP and signing but nothing else: each hall's simulated outbox (``tests.sync_simulate``, with
staff signed in and most follow-ups finished, some late) goes through the centre's own
``ingest.ingest_push`` — what ``POST /v1/events`` calls after checking the signature — one hall-day per
push, each followed by the refresh of the stored figures the server's refresher makes within seconds
(``day_store.refresh_dirty``), so events, snapshots, stored day and month figures and follow-up facts
are exactly what ingest and the refresher store. Halls are independent kiosks, so they are seeded in
``--processes`` worker processes, each hall's days in order in one of them. The seeded schema is kept
and reused by the next run (``--reseed`` to rebuild it; 200 halls take 30–60 min on two shared cores);
``--halls 20`` seeds and measures a smaller street in its own schema (compare ratios, not targets).

    python bench/centre_reports.py                 # PostgreSQL URL from CENTRE_BENCH_DATABASE_URL

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import chinese_calendar  # noqa: E402
from sqlalchemy import Engine, inspect, text  # noqa: E402

from sync.centre import day_store, enrol  # noqa: E402
from sync.centre.app import create_app  # noqa: E402
from sync.centre.db import make_engine, migrate  # noqa: E402
from sync.centre.ingest import KioskRef, ingest_push  # noqa: E402
from sync.centre.settings import CentreSettings  # noqa: E402
from tests.sync_simulate import hall_day, latest_snapshots  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "bench_centre_reports"
NIGHT = dt.date(2026, 11, 25)
MONTH = "2026-09"
RANGES = ("2026-09-03..2026-10-14", "2026-08-27..2026-10-07", "2026-W38")


def month_days() -> list[dt.date]:
    d, out = dt.date(2026, 9, 1), []
    while d.month == 9:
        if chinese_calendar.is_workday(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _done_on(kind: str, due: dt.date, rng: random.Random) -> dt.date | None:
    """When the hall's staff finish a follow-up: mostly by its due day, some late, a few never."""
    roll = rng.random()
    if roll < 0.04:
        return None
    if roll < 0.12:
        return due + dt.timedelta(days=rng.randint(1, 4))
    return due - dt.timedelta(days=rng.randint(0, 1 if kind == "callback" else 5))


def completions(events: list[dict[str, Any]], rng: random.Random) -> list[tuple[dt.date, dict[str, Any]]]:
    """(done day, finished snapshot) of the follow-ups the day's events created."""
    out = []
    for f in latest_snapshots(events)["followup"].values():
        due = dt.date.fromisoformat(f["due_date"])
        done = _done_on(f["kind"], due, rng)
        if done is None:
            continue
        done = max(done, dt.date.fromisoformat(f["business_date"]))
        at = dt.datetime(done.year, done.month, done.day, 2, 0, tzinfo=dt.UTC)  # 10:00 local
        out.append((done, {**f, "status": "done", "result": "已办结", "done_at": at.isoformat()}))
    return out


def _updates(
    kiosk: str, hall: str, day: dt.date, snaps: list[dict[str, Any]], seq: int
) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "seq": seq + i,
            "kiosk_id": kiosk,
            "hall_id": hall,
            "type": "followup.updated",
            "occurred_at": s["done_at"],
            "business_date": day.isoformat(),
            "payload": {"followups": [s]},
        }
        for i, s in enumerate(snaps)
    ]


def _seeded(engine: Engine, halls: int) -> bool:
    with engine.connect() as conn:
        try:
            n = conn.execute(
                text("SELECT count(*) FROM hall_days WHERE business_date = :d"), {"d": str(NIGHT)}
            )
            return int(n.scalar_one()) == halls
        except Exception:
            return False


def _seed_hall(url: str, schema: str, h: int, night_tickets: int, month_tickets: int) -> None:
    """One hall: its month's working days, then the night, one ``ingest_push`` per hall-day, in order."""
    engine = _worker_engine(url, schema)
    kiosk, hall, seq = f"K{h:03d}", f"H{h:03d}", 1
    rng = random.Random(h)
    pending: list[tuple[dt.date, dict[str, Any]]] = []
    plan = [(d, month_tickets) for d in month_days()] + [(NIGHT, night_tickets)]
    for day, tickets in plan:
        # the follow-ups staff finished by this day reach the centre with the day's first push
        now_done = [s for d, s in pending if d <= day]
        pending = [(d, s) for d, s in pending if d > day]
        events = _updates(kiosk, hall, day, now_done, seq)
        seq += len(events)
        day_events = hall_day(hall, kiosk, day, tickets=tickets, windows=6, seed=h, start_seq=seq, staff=True)
        seq += len(day_events)
        pending += completions(day_events, rng)
        body = json.dumps({"events": events + day_events}).encode()
        with engine.begin() as conn:
            ingest_push(conn, KioskRef(kiosk, hall), body, dt.datetime.now(dt.UTC), len(body))
        with engine.begin() as conn:  # what the server's refresher does within seconds of a push
            day_store.refresh_dirty(conn, day, day)


_ENGINES: dict[tuple[str, str], Engine] = {}


def _worker_engine(url: str, schema: str) -> Engine:
    """One engine per seeding process (an engine's pool must not cross a fork)."""
    if (url, schema) not in _ENGINES:
        _ENGINES[(url, schema)] = make_engine(url, schema)
    return _ENGINES[(url, schema)]


def seed(url: str, schema: str, halls: int, night_tickets: int, month_tickets: int, processes: int) -> float:
    """Enrol every hall, then push each hall's days in ``processes`` worker processes (a hall's days in
    order, in one process; halls are independent, as separate kiosks are)."""
    engine = make_engine(url, schema)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for h in range(halls):
            token = enrol.enrol(conn, f"K{h:03d}", f"H{h:03d}", now, hall_name=f"第{h + 1}社区")
            enrol.exchange(conn, f"K{h:03d}", token, now)
    engine.dispose()
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        jobs = [pool.submit(_seed_hall, url, schema, h, night_tickets, month_tickets) for h in range(halls)]
        for i, job in enumerate(as_completed(jobs), 1):
            job.result()  # a failed hall stops the bench with its error
            if i % 10 == 0:
                print(f"seeded {i}/{halls} halls, {time.perf_counter() - start:.0f} s", flush=True)
    engine = make_engine(url, schema)
    with engine.begin() as conn:  # the seeded schema's tables only (a bare ANALYZE reads every schema)
        for table in inspect(conn).get_table_names():
            conn.exec_driver_sql(f'ANALYZE "{table}"')
    engine.dispose()
    return time.perf_counter() - start


def timed_get(url: str, schema: str, path: str) -> tuple[float, int, int]:
    """(seconds, status, bytes) of one request to a freshly built application."""
    from fastapi.testclient import TestClient

    settings = CentreSettings(database_url=url, db_schema=schema)
    app = create_app(settings, run_migrations=False)
    with TestClient(app) as client:
        client.get("/health")  # the connection pool is open, as on a running server
        start = time.perf_counter()
        r = client.get(path)
        seconds = time.perf_counter() - start
    app.api.state.engine.dispose()
    return seconds, r.status_code, len(r.content)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("CENTRE_BENCH_DATABASE_URL", DEFAULT_PG))
    p.add_argument("--halls", type=int, default=200)
    p.add_argument("--night-tickets", type=int, default=2000)
    p.add_argument("--month-tickets", type=int, default=300)
    p.add_argument("--processes", type=int, default=2, help="seeding worker processes")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--reseed", action="store_true")
    p.add_argument("--ranges", nargs="*", default=list(RANGES), help="periods for range_reports")
    args = p.parse_args()
    schema = SCHEMA if args.halls == 200 else f"{SCHEMA}_{args.halls}"
    engine = make_engine(args.database_url, schema)
    seeded_s = None
    if args.reseed or not _seeded(engine, args.halls):
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()
        engine = make_engine(args.database_url, schema)
        migrate(engine)
        engine.dispose()
        seeded_s = seed(
            args.database_url, schema, args.halls, args.night_tickets, args.month_tickets, args.processes
        )
        print(f"seeded {args.halls} halls in {seeded_s:.0f} s", flush=True)
    else:
        migrate(engine)
    engine.dispose()

    def run(path: str) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(args.repeat):
            seconds, status, size = timed_get(args.database_url, schema, path)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            times.append(seconds)
            print(f"{path}: {seconds:.3f} s, {size} bytes", flush=True)
        return statistics.median(times), size

    night_s, night_bytes = run(f"/summary/{NIGHT}")
    month_s, month_bytes = run(f"/report/{MONTH}")
    ranges = {token: run(f"/report/{token}") for token in args.ranges}
    out = {
        "street_night": {
            "halls": args.halls,
            "tickets_per_hall": args.night_tickets,
            "seconds": round(night_s, 3),
            "html_bytes": night_bytes,
            "target_s": 1.0,
        },
        "month_report": {
            "halls": args.halls,
            "days": len(month_days()),
            "tickets_per_hall_day": args.month_tickets,
            "seconds": round(month_s, 3),
            "html_bytes": month_bytes,
            "target_s": 2.0,
        },
        "range_reports": {
            token: {"halls": args.halls, "seconds": round(seconds, 3), "html_bytes": size}
            for token, (seconds, size) in ranges.items()
        },
        "seeded_seconds": None if seeded_s is None else round(seeded_s),
        "seeding": f"simulated outboxes through sync.centre.ingest.ingest_push, one hall-day per push (no HTTP), {args.processes} processes",
        "database": "postgresql",
        "repeats": args.repeat,
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "note": "median of repeats, each the first request of a fresh app; machine shared with other work",
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
