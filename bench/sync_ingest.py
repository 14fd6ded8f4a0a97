"""Benchmark: the street centre ingesting one night of the street's halls, and rendering its summary.

Each hall-day is a simulated kiosk outbox (``tests.sync_simulate``: 2,000 tickets, about seven events each),
pushed in batches of 1,000 the way the kiosk sends them. The timed path is the server's own per-request
work after HTTP: HMAC check and nonce, envelope checks, idempotent insert, materialisation, commit.
``--http-halls`` more halls go end to end through a real uvicorn on loopback with the real client.

By default a sample of the night is ingested (rates do not depend on how many halls are in the sample),
so the run takes a couple of minutes; ``--full`` ingests all 200 halls into each database.

    python bench/sync_ingest.py                      # PostgreSQL URL from CENTRE_BENCH_DATABASE_URL
    python bench/sync_ingest.py --full --threads 2

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from sync import signing  # noqa: E402
from sync.centre import enrol, figures  # noqa: E402
from sync.centre.db import make_engine, migrate  # noqa: E402
from sync.centre.ingest import KioskRef, ingest_push  # noqa: E402
from sync.centre.security import authenticate  # noqa: E402
from sync.centre.summary_html import render_street  # noqa: E402
from tests.sync_simulate import hall_day  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = date(2026, 11, 25)
BATCH = 1000


def night(halls: int, tickets: int, offset: int = 0) -> Iterator[tuple[str, str, list[bytes], int]]:
    """(kiosk, hall, push bodies, events) per hall — generated lazily, outside the timed sections."""
    for h in range(offset, offset + halls):
        kiosk, hall = f"K{h:03d}", f"H{h:03d}"
        events = hall_day(hall, kiosk, DAY, tickets=tickets, windows=6, seed=h)
        bodies = [
            json.dumps({"events": events[i : i + BATCH]}).encode() for i in range(0, len(events), BATCH)
        ]
        yield kiosk, hall, bodies, len(events)


def enrol_all(engine: Engine, halls: list[tuple[str, str]]) -> dict[str, signing.KioskKey]:
    keys = {}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for kiosk, hall in halls:
            token = enrol.enrol(conn, kiosk, hall, now, hall_name=f"{hall} 社区")
            keys[kiosk] = enrol.exchange(conn, kiosk, token, now)
    return keys


def ingest_night(engine: Engine, halls: int, tickets: int, threads: int) -> dict[str, float]:
    """Ingest ``halls`` hall-days with ``threads`` kiosks pushing at once; returns events, seconds, rate."""
    work = list(night(halls, tickets))
    keys = enrol_all(engine, [(k, h) for k, h, _, _ in work])
    events = sum(w[3] for w in work)

    def push(items: list[tuple[str, str, list[bytes], int]]) -> None:
        for kiosk, hall, bodies, _ in items:
            for body in bodies:
                now = datetime.now(UTC)
                headers = keys[kiosk].headers("POST", "/v1/events", body, int(now.timestamp()))
                with engine.begin() as conn:
                    who = authenticate(conn, "POST", "/v1/events", headers, body, now, 300)
                    ingest_push(conn, KioskRef(kiosk, hall), body, now, BATCH)
                    del who

    workers = [threading.Thread(target=push, args=(work[i::threads],)) for i in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - start
    return {
        "halls": halls,
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
    }


def render(engine: Engine) -> dict[str, float]:
    start = time.perf_counter()
    with engine.connect() as conn:
        n = figures.street_night(conn, DAY, as_of=DAY)
    html = render_street(n, lambda target: target)
    seconds = time.perf_counter() - start
    return {"halls": len(n.halls), "seconds": round(seconds, 2), "html_bytes": len(html)}


def http_end_to_end(url: str, schema: str | None, halls: int, tickets: int) -> dict[str, float]:
    """A few halls through uvicorn on loopback with the real client, two kiosks at a time."""
    from kiosk.db.database import Database
    from sync.client.kiosk_source import KioskOutboxSource
    from sync.client.pusher import Pusher
    from sync.client.session import SignedClient
    from tests.sync_support import fill_outbox, running_centre

    with tempfile.TemporaryDirectory() as tmp, running_centre(url, schema) as centre:
        pushers, events = [], 0
        for i, (kiosk, hall, bodies, n) in enumerate(night(halls, tickets, offset=900)):
            db = Database(Path(tmp) / f"{kiosk}.db")
            evs = [e for b in bodies for e in json.loads(b)["events"]]
            fill_outbox(db, evs)
            s = centre.enrol(kiosk, hall, tmp, batch_size=BATCH, timeout=120)
            pushers.append(
                (db, Pusher(KioskOutboxSource(db), SignedClient(s, signing.KioskKey.load(s.key_file)), BATCH))
            )
            events += n
            del i
        threads = [threading.Thread(target=p.push_all) for _, p in pushers]
        start = time.perf_counter()
        for i in range(0, len(threads), 2):
            for t in threads[i : i + 2]:
                t.start()
            for t in threads[i : i + 2]:
                t.join()
        seconds = time.perf_counter() - start
        for db, _ in pushers:
            db.close()
        centre.engine.dispose()
    return {
        "halls": halls,
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--pg-url",
        default=os.environ.get("CENTRE_BENCH_DATABASE_URL")
        or os.environ.get("CENTRE_TEST_DATABASE_URL")
        or DEFAULT_PG,
    )
    p.add_argument("--tickets", type=int, default=2000, help="tickets per hall-day")
    p.add_argument("--night-halls", type=int, default=200, help="halls in the street's night")
    p.add_argument("--pg-halls", type=int, default=40, help="halls ingested into PostgreSQL (sample)")
    p.add_argument("--sqlite-halls", type=int, default=10, help="halls ingested into SQLite (sample)")
    p.add_argument("--http-halls", type=int, default=4, help="halls pushed end to end over HTTP")
    p.add_argument("--threads", type=int, default=4, help="kiosks pushing at once into PostgreSQL")
    p.add_argument("--full", action="store_true", help="ingest the whole night into both databases")
    args = p.parse_args()
    if args.full:
        args.pg_halls = args.sqlite_halls = args.night_halls
    result: dict[str, object] = {"night": {"halls": args.night_halls, "tickets_per_hall": args.tickets}}

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate(engine)
        print(f"SQLite: {args.sqlite_halls} halls …", file=sys.stderr)
        result["sqlite"] = ingest_night(engine, args.sqlite_halls, args.tickets, threads=1)
        result["sqlite_summary"] = render(engine)
        engine.dispose()

    schema = "bench_" + uuid.uuid4().hex[:8]
    engine = make_engine(args.pg_url, schema)
    try:
        migrate(engine)
        print(f"PostgreSQL: {args.pg_halls} halls, {args.threads} at once …", file=sys.stderr)
        pg = ingest_night(engine, args.pg_halls, args.tickets, threads=args.threads)
        result["postgresql"] = pg
        print("rendering the street summary …", file=sys.stderr)
        summary = render(engine)
        summary["projected_night_s"] = round(
            summary["seconds"] * args.night_halls / max(1, summary["halls"]), 1
        )
        result["summary_render"] = summary
        per_hall = pg["events"] / pg["halls"]
        result["night"]["events"] = round(per_hall * args.night_halls)  # type: ignore[index]
        result["night"]["projected_pg_ingest_s"] = round(per_hall * args.night_halls / pg["events_per_s"], 1)  # type: ignore[index]
        if args.http_halls:
            print(f"HTTP end to end: {args.http_halls} halls …", file=sys.stderr)
            result["http_loopback_postgresql"] = http_end_to_end(
                args.pg_url, schema + "h", args.http_halls, args.tickets
            )
    finally:
        engine.dispose()
        cleanup = make_engine(args.pg_url)
        with cleanup.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}h" CASCADE'))
        cleanup.dispose()
    result["target_pg_events_per_s"] = 30000
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
