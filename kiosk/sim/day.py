"""`kiosk-admin simulate-day`: a whole hall day on the real parts, with everything going wrong once.

Real processes (the kiosk runtime in a child process, the street centre's uvicorn server), the real
pty keypad bus and loopback printer, real SQLite files and HTTP; one accelerated clock shared by all
of them. See docs/simulation.md for what is simulated, what is real, and why the speed is what it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kiosk.config.loader import load_config, parse_config_text
from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock, local, utc_from_local
from kiosk.engine.engine import QueueEngine
from kiosk.engine.workdays import WorkCalendar
from kiosk.sim.arrivals import Arrival, arrivals
from kiosk.sim.centre_view import fetch_pages
from kiosk.sim.checks import Outcome, run_checks
from kiosk.sim.clock import SharedClock
from kiosk.sim.faults import FaultPlan, FaultRunner, opening_instant, plan_faults
from kiosk.sim.hall import Hall
from kiosk.sim.procs import CentreProcess, KioskProcess, wait_for
from kiosk.sim.residents import Residents
from kiosk.sim.staff import CALL_GRACE, WindowStaff
from sync.centre.db import make_engine
from sync.client.settings import SyncSettings

KEYPAD_DEBOUNCE_MS = 300
KEYPAD_RETRANSMIT_MS = 250
"""The sim's copy of the hall config shortens the bus's debounce (800 ms) and retransmit (600 ms)
windows. They are real-time windows; at speed 300 the product values would be four and three
simulated minutes, so a clerk calling twice within four minutes would be silently debounced. The
keypad tests exercise the product values at real speed."""

SYNC_EVERY_SIM_MINUTES = 10.0
"""Sync's interval is real time; the sim sets it so that the kiosk pushes every ten simulated minutes."""


class ClosedDay(Exception):
    """The requested date is not a day the hall opens."""


@dataclass
class SimOptions:
    config: Path
    data_dir: Path
    day: dt.date | None = None
    hours: float | None = None
    speed: float = 600.0
    seed: int = 2026
    report: Path | None = None
    centre_database_url: str | None = None
    volume: float = 1.0


@dataclass
class DayResult:
    day: dt.date
    run_dir: Path
    outcome: Outcome
    ledger: Any
    observed: dict[str, Any]
    plan: FaultPlan
    config: HallConfig
    real_seconds: float
    centre_summary: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome.ok


def default_day(config: HallConfig, today: dt.date | None = None) -> dt.date:
    """The most recent working day before today (the hall's timezone)."""
    cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
    day = (today or local(dt.datetime.now(dt.UTC), config.timezone).date()) - dt.timedelta(days=1)
    while not (config.open_on_non_working_days or cal.is_workday(day)):
        day -= dt.timedelta(days=1)
    return day


def sim_config(base: HallConfig, centre_url: str, key_file: Path, speed: float) -> tuple[str, HallConfig]:
    """The hall's config with simulated devices and sync to the local centre (see the constants)."""
    data = base.model_dump(mode="json", exclude_none=True)
    data["devices"]["printer"].update(connection="simulated", port=0)
    data["devices"]["printer_required"] = False
    for bus in data["devices"]["keypad_buses"]:
        bus.update(url="simulated", debounce_ms=KEYPAD_DEBOUNCE_MS, retransmit_window_ms=KEYPAD_RETRANSMIT_MS)
    kiosk_id = f"{base.hall_id}-k1"
    data["sync"] = {
        "enabled": True,
        "centre_url": centre_url,
        "kiosk_id": kiosk_id,
        "hall_id": base.hall_id,
        "key_file": str(key_file),
        "interval_minutes": SYNC_EVERY_SIM_MINUTES / speed,
        "connect_timeout": 2,
        "timeout": 10,
        "retries": 2,
        "backoff_factor": 0.1,
        "backoff_max": 1,
        "backoff_jitter": 0.1,
        "nightly_jitter_minutes": 0,
    }
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return text, parse_config_text(text, "simulate-day")


def run_day(opts: SimOptions) -> DayResult:
    t_start = time.monotonic()
    base = load_config(opts.config)
    day = opts.day or default_day(base)
    cal = WorkCalendar(base.calendar.extra_holidays, base.calendar.extra_workdays)
    if not (base.open_on_non_working_days or cal.is_workday(day)):
        raise ClosedDay(f"{day} is not a working day for {base.name}: the hall is closed")
    stamp = dt.datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")  # the run folder, in host time
    run_dir = Path(opts.data_dir).resolve() / "simulate-day" / f"{day}-seed{opts.seed}-{stamp}"
    kiosk_dir = run_dir / "kiosk"
    kiosk_dir.mkdir(parents=True)
    centre_url = opts.centre_database_url or f"sqlite:///{run_dir / 'centre.db'}"
    # PostgreSQL: a fresh schema per run, so runs never see each other's rows.
    schema = f"sim_{stamp.replace('-', '_')}" if centre_url.startswith("postgresql") else None
    centre = CentreProcess(centre_url, run_dir / "centre.log", schema)
    text, config = sim_config(base, centre.url, kiosk_dir / "sync-key.json", opts.speed)
    (run_dir / "hall.yaml").write_text(text, encoding="utf-8")
    assert config.sync is not None
    kiosk_id = config.sync.kiosk_id

    opening_hours = sum(
        (dt.datetime.combine(day, s.end) - dt.datetime.combine(day, s.start)).total_seconds() / 3600
        for s in config.sessions
    )
    hours = min(opts.hours or opening_hours, opening_hours)
    first_open = utc_from_local(day, config.sessions[0].start, config.timezone)
    last_call = opening_instant(config, day, hours * 3600)
    plan = plan_faults(config, day, hours)

    kiosk: KioskProcess | None = None
    try:
        centre.start()
        centre.enrol(
            kiosk_id, config.hall_id, config.name, SyncSettings.model_validate(config.sync.model_dump())
        )
        origin = first_open - dt.timedelta(minutes=5)
        clock = SharedClock(origin, time.time() + 4.0, opts.speed)
        kiosk = KioskProcess(
            [
                "--config", str(run_dir / "hall.yaml"), "--data-dir", str(kiosk_dir),
                "--clock-origin", origin.isoformat(), "--clock-wall-t0", repr(clock.wall_t0),
                "--speed", repr(opts.speed),
            ],
            run_dir / "kiosk.log",
        )  # fmt: skip
        kiosk.start()
        hall = Hall(config, clock, kiosk, opts.speed)
        rng = random.Random(opts.seed)
        people = arrivals(config, first_open, last_call - dt.timedelta(minutes=10), opts.seed, opts.volume)
        residents = Residents(hall, people)
        residents.schedule()
        # The tap in flight at the power cut: sent, and the power goes while the kiosk handles it.
        # (Any service will do; a hall whose residents happen not to come before it still has one.)
        first_service = people[0].service_code if people else config.services[0].code
        power_cut = Arrival(plan.kiosk_kill, first_service, None, f"sim-{opts.seed}-power-cut", False)

        def tap_in_flight() -> None:
            kiosk.send(residents.request(power_cut))
            residents.pending[power_cut.request_id] = power_cut

        hall.pending_tap = tap_in_flight

        def restart() -> None:
            kiosk.start()
            hall.kiosk_up = True
            hall.note("取号机重新启动，在同一数据目录上继续")
            lost = residents.after_power_cut()
            faults.observed["cut_off_taps"] = lost
            residents.collect(wait=30)
            retaps = {
                t["request_id"]: t["number"]
                for t in hall.ledger.issued.values()
                if t["request_id"].removesuffix("-again") in lost and t["request_id"].endswith("-again")
            }
            faults.observed["retaps_after_restart"] = retaps
            hall.note(f"断电时正在取号的居民重新取号：{'、'.join(retaps.values()) or '无'}")

        faults = FaultRunner(hall, plan, centre, restart)
        faults.schedule()
        staff = []
        for w in config.windows:
            if w.keypad is None:
                continue
            clerk = WindowStaff(hall, w, random.Random(rng.random()), last_call + CALL_GRACE)
            staff.append(clerk)
            clerk.begin()
        if staff:
            staff[-1].pause_at = plan.pause_window
        hall.note("取号机开机，街道中心已登记本机")
        hall.at(first_open, hall.note, "开门")
        close_at = last_call + dt.timedelta(minutes=30)
        hall.run_until(close_at)

        # ---- nightly close and the last sync -----------------------------------------------------------------
        residents.collect(wait=30)
        removed = hall.call({"op": "close_day"}) or {}
        hall.note(f"日结：清除未办理的号 {removed.get('removed')} 个；夜间同步")
        hall.call({"op": "sync_now"})
        synced = wait_for(lambda: (hall.status() or {}).get("backlog") == 0, timeout=120, interval=0.5)
        final = hall.status() or {}
        pages = fetch_pages(centre.url, day, config.hall_id)
    finally:
        if kiosk is not None:
            kiosk.quit()
        centre.stop()
    with open(run_dir / "trace.jsonl", "w", encoding="utf-8") as f:
        for row in hall.trace:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    db = Database(kiosk_dir / "kiosk.db")
    try:
        engine = QueueEngine(config, db, ManualClock(close_at), kiosk_id=kiosk_id)
        centre_engine = make_engine(centre_url, schema)
        outcome = run_checks(config, engine, centre_engine, kiosk_id, day, hall.ledger, pages)
        outcome.add("sync caught up after the close", synced, f"backlog {final.get('backlog')}")
        faults.check(outcome, kiosk)
        from kiosk.sim.centre_view import centre_rows, centre_summary

        summary = centre_summary(centre_engine, config.hall_id, day)
        followups = centre_rows(centre_engine, config.hall_id, day)["followups"]
        centre_engine.dispose()
    finally:
        db.close()
    result = DayResult(
        day, run_dir, outcome, hall.ledger, faults.observed, plan, config, time.monotonic() - t_start, summary
    )
    result.extra.update(followups=followups, seed=opts.seed, speed=opts.speed, hours=hours, pages=pages)
    from kiosk.sim.report import result_json

    (run_dir / "result.json").write_text(result_json(result), encoding="utf-8")
    return result


def main_simulate(args: argparse.Namespace) -> int:
    from kiosk.sim.report import print_report, write_reports

    opts = SimOptions(
        config=Path(args.config),
        data_dir=Path(args.data_dir),
        day=dt.date.fromisoformat(args.date) if args.date else None,
        hours=args.hours,
        speed=args.speed,
        seed=args.seed,
        report=Path(args.report) if args.report else None,
        centre_database_url=os.environ.get("SIM_CENTRE_DATABASE_URL"),
    )
    try:
        result = run_day(opts)
    except ClosedDay as exc:
        print(f"error: {exc}")
        return 2
    print_report(result)
    if opts.report:
        for path in write_reports(result, opts.report):
            print(f"written: {path}")
    return 0 if result.ok else 1
