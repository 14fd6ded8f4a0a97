"""Crash-test worker: runs real engine operations against a SQLite file until it is SIGKILLed.

Start-up cost matters (the crash test kills 200+ processes), and importing the engine takes about a
second, so this script is a small fork server: it imports everything once, then for each `run SEED`
line on stdin forks a fresh child process that opens the database and works until it is killed.
The test sends SIGKILL to that child; this parent reaps it and reports `dead PID STATUS`.

Lines on stdout, each written with one write(2) so a kill never leaves half a line:
    zygote-ready
    ready PID                    the child opened the database and starts working
    T TICKET_ID DATE NUMBER      a ticket was issued      (printed after the commit returned)
    H HANDLING_ID                a resident was called
    F HANDLING_ID RATING_ID      a service was finished and its rating slot opened
    R RATING_ID LEVEL            a rating was recorded
    A ADDRESS new|resend         (with --keypads) a keypad read the ACK of its press on the line, the
                                 moment it did: a new press, or one the bus took for a resend
    K LINE                       (then) what that press did, once the dispatcher reported it;
                                 LINE is H/F/R as above, "I WINDOW REASON" for a rating key the engine
                                 counted as ignored, or "- WHY" when nothing was recorded (refused, a
                                 resend, a key with nothing to keep)
    error TEXT                   the child hit an unexpected exception (the test fails)
    dead PID STATUS              the child is gone
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from drivers.keypad.events import StaffAction  # noqa: E402
from kiosk.config.loader import load_config  # noqa: E402
from kiosk.config.schema import HallConfig  # noqa: E402
from kiosk.db import database  # noqa: E402
from kiosk.db import models as m  # noqa: E402
from kiosk.db.database import Database  # noqa: E402
from kiosk.db.migrate import upgrade_to_head  # noqa: E402
from kiosk.engine import calling, finishing, issuing, ratings  # noqa: E402
from kiosk.engine.clock import ManualClock, as_utc  # noqa: E402
from kiosk.engine.engine import QueueEngine  # noqa: E402
from kiosk.engine.errors import DomainError  # noqa: E402

START = dt.datetime(2026, 11, 26, 1, 0, 30, tzinfo=dt.UTC)  # 09:00:30 Shanghai, a Thursday
OUTCOMES = ["completed"] * 6 + ["materials_incomplete", "promised", "referred"]


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def hall_config() -> HallConfig:
    data = load_config(ROOT / "assets" / "hall.sample.yaml").model_dump()
    data["open_on_non_working_days"] = True  # days roll on without weekend gaps
    return HallConfig.model_validate(data)


class _Rehearsal(DomainError):
    """Raised to roll the rehearsal back (a DomainError, so the writer logs nothing)."""


def rehearse(engine: QueueEngine, config: HallConfig) -> None:
    """Run each kind of operation once in a transaction that is rolled back: SQLAlchemy compiles
    statements per engine, so without this a fresh process spends its first ~60 ms compiling and
    the kills would almost all land in the first operation."""

    def task(s: Session) -> None:
        ctx, w = engine.ctx, config.windows[0]
        code, prio = w.services[0], config.priority.categories[0].code
        for op in (
            lambda: issuing.issue(s, ctx, code, None, "rehearsal"),
            lambda: issuing.issue(s, ctx, code, prio),
            lambda: calling.call_next(s, ctx, w.number),
            lambda: calling.recall(s, ctx, w.number),
            lambda: calling.no_show(s, ctx, w.number, True),
            lambda: calling.call_next(s, ctx, w.number),
            lambda: finishing.finish(s, ctx, w.number),
            lambda: ratings.press_rating_key(s, ctx, w.number, 0),
            lambda: ratings.press_rating_key(s, ctx, w.number, 4),
            lambda: calling.call_held(s, ctx, w.number),
            lambda: ratings.expire_slots(s, ctx),
        ):
            try:
                with s.begin_nested():
                    op()
            except DomainError:
                pass
        raise _Rehearsal("rehearsal rolled back")

    with contextlib.suppress(_Rehearsal):
        engine.db.run(task)


def work(
    db_path: str, seed: int, config: HallConfig, steps: int | None = None, keypads: Path | None = None
) -> None:
    rng = random.Random(seed)
    db = Database(db_path)
    last = db.read(lambda s: s.scalar(select(func.max(m.OutboxEvent.occurred_at))))
    clock = ManualClock(as_utc(last) + dt.timedelta(seconds=1) if last else START)
    engine = QueueEngine(config, db, clock)
    engine.close_stale_days()
    rehearse(engine, config)
    player = None
    if keypads is not None:
        from tests.powercut.keypad_player import KeypadPlayer

        player = KeypadPlayer(engine, config, keypads, say)
    say(f"ready {os.getpid()}")
    try:
        _steps(engine, config, clock, rng, seed, steps, player)
    finally:
        if player is not None:
            player.close()
        db.close()


def _steps(
    engine: QueueEngine,
    config: HallConfig,
    clock: ManualClock,
    rng: random.Random,
    seed: int,
    steps: int | None,
    player: Any,
) -> None:
    from tests.powercut.keypad_player import describe

    def key(w: int, action: StaffAction) -> bool:
        """Press on the window's keypad; False without keypads (then the engine is called)."""
        if player is None:
            return False
        acknowledged, applied = player.staff(w, action)
        if acknowledged:
            say(describe(applied))
        return True

    codes = [s.code for s in config.services]
    categories = [c.code for c in config.priority.categories]
    windows = [w.number for w in config.windows]
    deadline = time.monotonic() + 30  # never outlive a test that stopped killing
    while time.monotonic() < deadline and (steps is None or steps > 0):
        steps = None if steps is None else steps - 1
        clock.advance(rng.uniform(1, 40))
        state = engine.issuing_state()
        if not state.open and state.next_opening is not None:
            today = engine.ctx.today()
            clock.set(state.next_opening + dt.timedelta(seconds=1))
            if engine.ctx.today() != today:
                engine.close_stale_days()
        w = rng.choice(windows)
        op = rng.random()
        try:
            if op < 0.30:
                prio = rng.choice(categories) if rng.random() < 0.2 else None
                req = f"req-{seed}-{rng.randrange(10**9)}" if rng.random() < 0.5 else None
                t = engine.issue(rng.choice(codes), priority=prio, request_id=req)
                say(f"T {t.id} {t.business_date} {t.number}")
            elif op < 0.50:
                if not key(w, StaffAction.CALL_NEXT):
                    c = engine.call_next(w)
                    say(f"H {c.handling_id}")
            elif op < 0.53:
                engine.recall(w)
            elif op < 0.58:
                engine.no_show(w, requeue=rng.random() < 0.5)
            elif op < 0.75:
                outcome = rng.choice(OUTCOMES)
                missing = ["居民身份证"] if outcome == "materials_incomplete" else None
                # 办结 is a keypad key; the other outcomes are chosen on the staff screen
                if outcome != "completed" or not key(w, StaffAction.REQUEST_RATING):
                    r = engine.finish(w, outcome, missing)
                    say(f"F {r['handling_id']} {r['rating_id']}")
                if rng.random() < 0.7:  # most residents press a key at once, some twice
                    for _ in range(rng.choice([1, 1, 1, 2])):
                        clock.advance(rng.uniform(0.5, 5))
                        rate(engine, w, rng.randrange(6), player)
            elif op < 0.90:
                rate(engine, w, rng.randrange(6), player)
            elif op < 0.93:
                engine.expire_rating_slots()
            elif op < 0.95:
                if not key(w, StaffAction.HOLD):
                    engine.hold(w)
            elif op < 0.97:
                if not key(w, StaffAction.CALL_HELD):
                    engine.call_held(w)
            else:
                engine.transfer(w, rng.choice(codes))
        except DomainError:
            pass


def rate(engine: QueueEngine, window: int, key: int, player: Any) -> None:
    """A resident presses a rating key: on the window's keypad with --keypads, else on the engine."""
    if player is not None:
        from tests.powercut.keypad_player import describe

        acknowledged, applied = player.rating(window, key)
        if acknowledged:
            say(describe(applied))
        return
    out = engine.press_rating_key(window, key)
    if out.accepted:
        say(f"R {out.rating_id} {out.level}")


def child(db_path: str, seed: int, config: HallConfig, keypads: Path | None) -> None:
    try:
        work(db_path, seed, config, keypads=keypads)
    except BaseException:
        say("error " + traceback.format_exc().replace("\n", " | "))
        os._exit(1)
    os._exit(0)


saved_stdout = os.dup(1)


def main() -> None:
    db_path = sys.argv[1]
    # --keypads: key presses go over a pty to the real keypad driver (the port link lives in the
    # worker's own directory, not on the filesystem being cut)
    keypads = Path(tempfile.mkdtemp(prefix="crash-keypads-")) if "--keypads" in sys.argv[2:] else None
    config = hall_config()
    # Migrate once here; the children open a file already at head, so they skip Alembic's start-up
    # (the parent holds no connection when it forks: upgrade_to_head disposes of its engine).
    upgrade_to_head(db_path)
    # Warm the import-time and mapper caches once, on a scratch file, so a child's first operations
    # cost what they cost in a running kiosk. No thread or connection survives this (db.close()).
    with tempfile.TemporaryDirectory() as scratch:
        os.dup2(devnull := os.open(os.devnull, os.O_WRONLY), 1)
        try:
            work(os.path.join(scratch, "warm.db"), 1, config, steps=200, keypads=keypads)
        finally:
            os.dup2(saved_stdout, 1)
            os.close(devnull)
    database.upgrade_to_head = lambda path: None  # type: ignore[assignment]
    say("zygote-ready")
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] != "run":
            break
        pid = os.fork()
        if pid == 0:
            child(db_path, int(parts[1]), config, keypads)
        _, status = os.waitpid(pid, 0)
        say(f"dead {pid} {status}")


if __name__ == "__main__":
    main()
