"""`kiosk-admin`: the operator's command line (config check, PIN hash, summary, close of day …).

It uses the same engine operations as the touch screen and the keypads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.cli.report import format_summary
from kiosk.config.loader import ConfigError, load_config
from kiosk.config.pin import hash_pin

# The sample hall ships in the checkout; found from here, so every command works from any folder.
DEFAULT_CONFIG = str(Path(__file__).resolve().parents[2] / "assets" / "hall.sample.yaml")
DEFAULT_DATA = "var"


def _with_engine(args: argparse.Namespace, action: Callable[[Any], int]) -> int:
    """Run `action(engine)` on the hall's database; a refused operation prints its reason."""
    from kiosk.db.database import Database
    from kiosk.engine.engine import QueueEngine
    from kiosk.engine.errors import DomainError

    config = load_config(args.config)
    db = Database(Path(args.data_dir) / "kiosk.db")
    try:
        return action(QueueEngine(config, db))
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        db.close()


def _day(args: argparse.Namespace) -> dt.date | None:
    return dt.date.fromisoformat(args.date) if args.date else None


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.path)
    except ConfigError as err:
        for p in err.problems:
            print(p, file=sys.stderr)
        print(
            f"{len(err.problems)} problem(s) in {args.path}; the kiosk will not start until they are fixed.",
            file=sys.stderr,
        )
        return 1
    print(f"OK: {config.name} — {len(config.services)} services, {len(config.windows)} windows")
    return 0


def cmd_hash_pin(args: argparse.Namespace) -> int:
    pin = args.pin or getpass.getpass("New staff PIN (4–12 digits): ")
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    def show(engine: Any) -> int:
        summary = engine.summary(_day(args))
        if args.json:
            print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        else:
            print(format_summary(engine.config, summary))
        return 0

    return _with_engine(args, show)


def cmd_close_day(args: argparse.Namespace) -> int:
    def close(engine: Any) -> int:
        removed = engine.close_day(_day(args))
        print(f"日结完成：{removed} 个未办理的号已清除（记录保留）")
        return 0

    return _with_engine(args, close)


def cmd_followup(args: argparse.Namespace) -> int:
    def record(engine: Any) -> int:
        engine.record_followup(args.id, args.result)
        print("已记录")
        return 0

    return _with_engine(args, record)


def cmd_walkthrough(args: argparse.Namespace) -> int:
    from kiosk.cli.walkthrough import run_walkthrough

    return run_walkthrough(args.config, Path(args.data_dir))


def cmd_simulate_day(args: argparse.Namespace) -> int:
    from kiosk.sim.day import main_simulate

    return main_simulate(args)


def cmd_keypad_monitor(args: argparse.Namespace) -> int:
    from drivers.keypad.monitor import read_capture, replay, watch
    from drivers.keypad.settings import KeypadBusSettings

    if args.config:
        buses = load_config(args.config).keypad_buses()
        chosen = [b for b in buses if args.bus in (None, b.name)]
        if not chosen:
            names = ", ".join(b.name for b in buses) or "none"
            print(f"no keypad bus {args.bus!r} in {args.config} (buses: {names})", file=sys.stderr)
            return 2
        settings = chosen[0]
        if args.url:
            settings = settings.model_copy(update={"url": args.url})
    elif args.url or args.capture:
        settings = KeypadBusSettings(name=args.bus or "monitor", url=args.url or "capture")
    else:
        print("give --url PORT, --capture FILE or --config HALL.yaml [--bus NAME]", file=sys.stderr)
        return 2
    if args.baudrate:
        settings = settings.model_copy(update={"baudrate": args.baudrate})
    if args.capture:
        replay(settings, read_capture(Path(args.capture)), sys.stdout)
        return 0
    if settings.url == "simulated":
        print("this bus is simulated in the config: give the real port with --url", file=sys.stderr)
        return 2
    watch(settings, sys.stdout, seconds=args.seconds, acknowledge=not args.no_ack)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-admin", description="社区便民服务中心 kiosk: operator commands"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check-config", help="validate a hall configuration file, reporting every problem")
    p.add_argument("path")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("hash-pin", help="hash a staff PIN for the config's staff.pin_hash")
    p.add_argument("--pin", help="the PIN (omit to be asked without echo)")
    p.set_defaults(func=cmd_hash_pin)

    def with_data(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", default=DEFAULT_CONFIG)
        p.add_argument("--data-dir", default=DEFAULT_DATA)

    p = sub.add_parser("summary", help="print the day summary (日结)")
    p.add_argument("--date", help="business date YYYY-MM-DD (default: today in the hall's timezone)")
    p.add_argument("--json", action="store_true")
    with_data(p)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("close-day", help="close a business day: remove tickets still waiting, keep history")
    p.add_argument("--date")
    with_data(p)
    p.set_defaults(func=cmd_close_day)

    p = sub.add_parser("followup", help="record the result of a 回访/整改/承诺件 follow-up")
    p.add_argument("id")
    p.add_argument("result")
    with_data(p)
    p.set_defaults(func=cmd_followup)

    p = sub.add_parser("walkthrough", help="a terminal walk-through of a hall day on the engine")
    with_data(p)
    p.set_defaults(func=cmd_walkthrough)

    p = sub.add_parser("simulate-day", help="simulate a whole hall day with every fault once, then sync")
    with_data(p)
    p.add_argument("--date", default=None, help="working day to simulate (default: the most recent one)")
    p.add_argument("--hours", type=float, default=None, help="simulate only this many opening hours")
    p.add_argument("--speed", type=float, default=600.0, help="simulated seconds per real second")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--report", default=None, help="write the nightly summary HTML here")
    p.set_defaults(func=cmd_simulate_day)
    p = sub.add_parser(
        "keypad-monitor",
        help="show every keypad frame, its decode and what the kiosk would do with it (kiosk stopped)",
    )
    p.add_argument("--config", default=None, help="hall config: its bus settings, windows and key map")
    p.add_argument("--bus", default=None, help="which bus of the config (default: the first)")
    p.add_argument("--url", default=None, help="the serial port (overrides the config's)")
    p.add_argument("--baudrate", type=int, default=None)
    p.add_argument("--capture", default=None, help="replay a capture (hex text or raw bytes) instead")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")
    p.add_argument("--no-ack", action="store_true", help="listen only: never write to the line")
    p.set_defaults(func=cmd_keypad_monitor)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
