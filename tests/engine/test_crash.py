"""Crash safety: a worker process running real operations is SIGKILLed at random moments, 200
times against one SQLite file. After every kill the file is intact, every commit the worker
reported is there, every change has its outbox event and the outbox sequence has no gap."""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("crash_worker.py")
KILLS = 200
FINISHED = ("completed", "materials_incomplete", "promised", "referred")


class Lines:
    """Line reader over a pipe with a generous timeout (a hung worker fails instead of hanging)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = b""

    def next(self, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise AssertionError("the crash worker stopped answering")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise AssertionError("the crash worker closed its output")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


class Reported:
    def __init__(self) -> None:
        self.tickets: dict[str, tuple[str, str]] = {}
        self.handlings: set[str] = set()
        self.finished: dict[str, str] = {}
        self.rated: dict[str, int] = {}
        self.keypad_acks: Counter[str] = Counter()
        """Key presses whose ACK the keypad read on the line, by what the check can look for."""
        self.ignored_presses: Counter[int] = Counter()
        """Per window: acknowledged rating keys the engine counted as ignored."""
        self.answered: Counter[int] = Counter()
        """Per keypad address: new presses whose ACK the keypad read on the line."""

    @property
    def keypad_checked(self) -> int:
        """Acknowledged presses that left a record to check (not refused, not a resend)."""
        return sum(n for kind, n in self.keypad_acks.items() if kind != "-")

    def take(self, line: str) -> None:
        kind, *rest = line.split(" ", 1)
        args = rest[0].split() if rest else []
        if kind == "A":
            if args[1] == "new":
                self.answered[int(args[0])] += 1
        elif kind == "K":  # acknowledged on the wire: what it did must survive like any report
            self.keypad_acks[args[0]] += 1
            if args[0] == "I":
                self.ignored_presses[int(args[1])] += 1
            elif args[0] != "-":
                self.take(rest[0])
        elif kind == "T":
            self.tickets[args[0]] = (args[1], args[2])
        elif kind == "H":
            self.handlings.add(args[0])
        elif kind == "F":
            self.finished[args[0]] = args[1]
        elif kind == "R":
            self.rated[args[0]] = int(args[1])
        elif kind == "error":
            raise AssertionError(f"worker failed: {line}")
        else:
            raise AssertionError(f"unexpected line from worker: {line}")


def missing_events(conn: sqlite3.Connection, table: str, where: str, event: str, path: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            f"SELECT id FROM {table} WHERE {where} AND id NOT IN "
            f"(SELECT json_extract(payload, '{path}') FROM outbox WHERE type = ?)",
            (event,),
        )
    ]


def check(db_path: Path, seen: Reported, deep: bool) -> int:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        dup = conn.execute(
            "SELECT business_date, prefix, seq_no FROM tickets GROUP BY 1, 2, 3 HAVING count(*) > 1 "
            "UNION ALL SELECT business_date, number, 0 FROM tickets GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        assert dup == [], f"duplicate numbers {dup}"

        tickets = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, business_date, number FROM tickets")}
        lost = {k: v for k, v in seen.tickets.items() if tickets.get(k) != v}
        assert not lost, f"reported tickets lost or changed: {lost}"
        handlings = dict(conn.execute("SELECT id, outcome FROM handlings").fetchall())
        assert seen.handlings <= handlings.keys()
        slots = {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute("SELECT id, handling_id, status, level FROM ratings")
        }
        for handling_id, rating_id in seen.finished.items():
            assert handlings[handling_id] in FINISHED
            assert slots[rating_id][0] == handling_id
        for rating_id, level in seen.rated.items():
            assert slots[rating_id][1:] == ("rated", level)
        ignored = dict(
            conn.execute("SELECT window_number, count(*) FROM ignored_presses GROUP BY 1").fetchall()
        )
        short = {w: (n, ignored.get(w, 0)) for w, n in seen.ignored_presses.items() if ignored.get(w, 0) < n}
        assert not short, f"acknowledged ignored rating keys lost (window: acknowledged, kept): {short}"
        if seen.answered:
            # Every press a keypad saw answered was committed, whatever it did, even when the cut came
            # before the worker could say what that was.
            kept = dict(conn.execute("SELECT address, presses FROM keypad_presses").fetchall())
            lost = {a: (n, kept.get(a, 0)) for a, n in seen.answered.items() if kept.get(a, 0) < n}
            assert not lost, f"acknowledged keypad presses lost (address: acknowledged, committed): {lost}"

        # Every change has its event.
        assert missing_events(conn, "tickets", "1", "ticket.issued", "$.ticket.id") == []
        assert missing_events(conn, "handlings", "1", "handling.called", "$.handling.id") == []
        assert missing_events(conn, "ratings", "1", "handling.finished", "$.rating.id") == []
        assert missing_events(conn, "ratings", "status = 'rated'", "rating.recorded", "$.rating.id") == []
        fin = "outcome IN ('completed', 'materials_incomplete', 'promised', 'referred')"
        assert missing_events(conn, "handlings", fin, "handling.finished", "$.handling.id") == []
        no_fu_event = conn.execute(
            "SELECT id FROM followups WHERE id NOT IN (SELECT json_extract(j.value, '$.id') "
            "FROM outbox o, json_each(o.payload, '$.followups') j WHERE o.payload LIKE '%followups%')"
        ).fetchall()
        assert no_fu_event == []

        count, low, high = conn.execute("SELECT count(*), min(seq), max(seq) FROM outbox").fetchone()
        assert count == (high or 0) and (low in (1, None)), (
            f"outbox seq has gaps: {count} rows, {low}..{high}"
        )

        if deep:
            # The latest snapshot of every row in the outbox is the row as it stands.
            latest: dict[tuple[str, str], dict[str, object]] = {}
            for (payload,) in conn.execute("SELECT payload FROM outbox ORDER BY seq"):
                p = json.loads(payload)
                for key in ("ticket", "handling", "rating"):
                    if key in p:
                        latest[(key, p[key]["id"])] = p[key]
                for f in p.get("followups", []):
                    latest[("followup", f["id"])] = f
            for tid, status, service in conn.execute("SELECT id, status, service_code FROM tickets"):
                assert (latest[("ticket", tid)]["status"], latest[("ticket", tid)]["service_code"]) == (
                    status,
                    service,
                )
            for hid, outcome, recalls in conn.execute("SELECT id, outcome, recalls FROM handlings"):
                assert (latest[("handling", hid)]["outcome"], latest[("handling", hid)]["recalls"]) == (
                    outcome,
                    recalls,
                )
            for rid, status, level, presses in conn.execute(
                "SELECT id, status, level, ignored_presses FROM ratings"
            ):
                snap = latest[("rating", rid)]
                assert (snap["status"], snap["level"], snap["ignored_presses"]) == (status, level, presses)
            for fid, status in conn.execute("SELECT id, status FROM followups"):
                assert latest[("followup", fid)]["status"] == status
        return int(count)
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    db_path = tmp_path / "crash.db"
    rng = random.Random(20261126)
    seen = Reported()
    stderr = (tmp_path / "worker.stderr").open("wb")  # a file, so a chatty worker never blocks on a pipe
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    out = Lines(proc.stdout.fileno())
    statuses: dict[str, int] = defaultdict(int)
    spent: dict[str, float] = defaultdict(float)
    try:
        assert out.next() == "zygote-ready"
        for i in range(KILLS):
            t0 = time.monotonic()
            proc.stdin.write(f"run {rng.randrange(10**9)}\n".encode())
            proc.stdin.flush()
            line = out.next()
            while not line.startswith("ready "):
                seen.take(line)
                line = out.next()
            pid = int(line.split()[1])
            t1 = time.monotonic()
            time.sleep(rng.uniform(0.005, 0.060))
            os.kill(pid, signal.SIGKILL)
            line = out.next()
            while not line.startswith("dead "):
                seen.take(line)
                line = out.next()
            _, dead_pid, status = line.split()
            assert int(dead_pid) == pid
            # Killed, not exited: an exit would mean the worker failed (its error line was read).
            assert os.WIFSIGNALED(int(status)) and os.WTERMSIG(int(status)) == signal.SIGKILL
            statuses["killed"] += 1
            t2 = time.monotonic()
            check(db_path, seen, deep=(i % 25 == 24))
            t3 = time.monotonic()
            spent["start"] += t1 - t0
            spent["run"] += t2 - t1
            spent["check"] += t3 - t2
        proc.stdin.close()
        proc.wait(timeout=30)
    except BaseException:
        print((tmp_path / "worker.stderr").read_text(errors="replace")[-5000:], file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr.close()
    events = check(db_path, seen, deep=True)
    assert statuses["killed"] == KILLS
    print(
        f"{KILLS} kills: {len(seen.tickets)} tickets, {len(seen.handlings)} calls, {len(seen.finished)} "
        f"finishes, {len(seen.rated)} ratings reported; {events} outbox events; seconds spent: "
        + ", ".join(f"{k} {v:.1f}" for k, v in spent.items())
    )
