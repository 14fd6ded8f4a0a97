"""``street-centre``: run the centre and administer kiosks, follow-ups and published configuration.

The database comes from ``--database-url`` or ``CENTRE_DATABASE_URL`` (default: ./street-centre.db).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from sync.centre import config_docs, enrol, followups, models
from sync.centre.db import make_engine, migrate
from sync.centre.settings import CentreSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _settings(args: argparse.Namespace) -> CentreSettings:
    return CentreSettings.from_env(database_url=args.database_url, db_schema=args.db_schema)


def _engine(args: argparse.Namespace) -> Engine:
    settings = _settings(args)
    engine = make_engine(settings.database_url, settings.db_schema)
    migrate(engine)
    return engine


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sync.centre.app import create_app

    settings = _settings(args)
    if args.forwarded_allow_ips:
        settings = settings.model_copy(update={"trusted_proxies": args.forwarded_allow_ips})
        os.environ["CENTRE_TRUSTED_PROXIES"] = args.forwarded_allow_ips  # for --workers
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        # The centre itself decides whom to believe (CENTRE_TRUSTED_PROXIES): uvicorn must not replace
        # the TCP peer with a client-sent X-Forwarded-For before the centre sees it.
        "proxy_headers": False,
        "timeout_keep_alive": 30,
    }
    if args.workers > 1:
        # Several processes (PostgreSQL only): migrate once here, then each worker builds the app from
        # the environment without migrating. The 429 limit applies per worker.
        if settings.database_url.startswith("sqlite"):
            raise ValueError("--workers needs PostgreSQL (SQLite has one writer)")
        migrate(make_engine(settings.database_url, settings.db_schema))
        os.environ["CENTRE_DATABASE_URL"] = settings.database_url
        if settings.db_schema:
            os.environ["CENTRE_DB_SCHEMA"] = settings.db_schema
        uvicorn.run("sync.centre.app:app_from_env", factory=True, workers=args.workers, **common)
        return 0
    uvicorn.run(create_app(settings), **common)
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    with _engine(args).begin() as conn:
        token = enrol.enrol(
            conn, args.kiosk, args.hall, _now(), _settings(args).enrol_token_hours, args.hall_name
        )
    print(
        f"kiosk {args.kiosk} (hall {args.hall}) enrolled. One-time token, valid "
        f"{_settings(args).enrol_token_hours} h — enter it on the kiosk, it is not shown again:"
    )
    print(token)
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    with _engine(args).begin() as conn:
        token = enrol.rotate(conn, args.kiosk, _now(), _settings(args).enrol_token_hours)
    print(f"new one-time token for kiosk {args.kiosk}; its current key works until the kiosk exchanges it:")
    print(token)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    with _engine(args).begin() as conn:
        enrol.revoke(conn, args.kiosk, _now())
    print(f"kiosk {args.kiosk} revoked: its keys and tokens no longer work")
    return 0


def cmd_kiosks(args: argparse.Namespace) -> int:
    with _engine(args).connect() as conn:
        for k in conn.execute(select(models.Kiosk).order_by(models.Kiosk.hall_id)):
            print(
                f"{k.kiosk_id}\thall={k.hall_id}\t{k.status}\tacked={k.acked_seq}\t"
                f"last_push={k.last_push_at}\tskew_s={k.last_skew_seconds}"
            )
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from sync.centre import csv_export, summary_page

    day = date.fromisoformat(args.date) if args.date else datetime.now(SHANGHAI).date() - timedelta(days=1)
    engine = _engine(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = summary_page.write_night(engine, day, out)
    (out / f"street-{day.isoformat()}.csv").write_text(
        csv_export.street_csv(engine, day), encoding="utf-8-sig"
    )
    for path in written:
        print(path)
    return 0


def cmd_followup(args: argparse.Namespace) -> int:
    with _engine(args).begin() as conn:
        followups.record(
            conn, args.hall, args.id, args.action, args.result, args.by, _now(), done=not args.not_done
        )
    print(f"recorded {args.action} for follow-up {args.id} ({'done' if not args.not_done else 'still open'})")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    body = json.loads(Path(args.file).read_text(encoding="utf-8"))
    with _engine(args).begin() as conn:
        version = config_docs.publish(conn, args.kind, body, _now(), args.hall)
    print(
        f"published {args.kind} as version {version} for {'hall ' + args.hall if args.hall else 'all halls'}"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="street-centre", description=__doc__)
    p.add_argument("--database-url", help="SQLAlchemy URL (default: CENTRE_DATABASE_URL or sqlite)")
    p.add_argument("--db-schema", help="PostgreSQL schema (default: CENTRE_DB_SCHEMA)")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the HTTP service (behind a TLS reverse proxy)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8600)
    s.add_argument("--log-level", default="info")
    s.add_argument(
        "--forwarded-allow-ips",
        help="the reverse proxy's addresses, comma-separated (default: CENTRE_TRUSTED_PROXIES or loopback)",
    )
    s.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL only)")
    s.set_defaults(fn=cmd_serve)
    s = sub.add_parser("enrol", help="register a kiosk and print its one-time token")
    s.add_argument("--kiosk", required=True)
    s.add_argument("--hall", required=True)
    s.add_argument("--hall-name")
    s.set_defaults(fn=cmd_enrol)
    s = sub.add_parser("rotate", help="issue a fresh one-time token to replace a kiosk's key")
    s.add_argument("--kiosk", required=True)
    s.set_defaults(fn=cmd_rotate)
    s = sub.add_parser("revoke", help="stop a kiosk at once")
    s.add_argument("--kiosk", required=True)
    s.set_defaults(fn=cmd_revoke)
    s = sub.add_parser("kiosks", help="list kiosks, their cursor, last push and clock skew")
    s.set_defaults(fn=cmd_kiosks)
    s = sub.add_parser("summary", help="write the night's HTML summary pages and CSV")
    s.add_argument("--date", help="business date YYYY-MM-DD (default: yesterday, Asia/Shanghai)")
    s.add_argument("--out", default="summary")
    s.set_defaults(fn=cmd_summary)
    s = sub.add_parser("followup", help="record a callback (回访) or rectification (整改) result")
    s.add_argument("--hall", required=True)
    s.add_argument("--id", required=True, help="follow-up id (shown on the summary page)")
    s.add_argument("--action", choices=followups.ACTIONS, required=True)
    s.add_argument("--result", required=True, help="what was said or done")
    s.add_argument("--by", required=True, help="who made the call / checked the rectification")
    s.add_argument("--not-done", action="store_true", help="record progress but keep it open")
    s.set_defaults(fn=cmd_followup)
    s = sub.add_parser("publish-config", help="publish a catalogue, guides or holiday calendar to the halls")
    s.add_argument("--kind", choices=config_docs.KINDS, required=True)
    s.add_argument("--file", required=True, help="JSON document")
    s.add_argument("--hall", help="only this hall (default: all)")
    s.set_defaults(fn=cmd_publish)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except (enrol.EnrolError, followups.FollowupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
