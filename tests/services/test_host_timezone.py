"""The host's own timezone changes nothing: times are stored in UTC, the business day is Asia/Shanghai's
and the paper shows Shanghai time, whether the machine's TZ is UTC, eight hours behind or fourteen
ahead. The same day is run in a child process under each TZ and must give identical records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DAY = r"""
import datetime as dt, json, sqlite3, sys, time
sys.path.insert(0, sys.argv[2])
from drivers.printer.documents import document_bytes
from drivers.printer.settings import PrinterSettings
from kiosk.config.loader import load_config
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.services.documents import ticket_doc

# 09:30 Thursday 26 Nov in Shanghai; still Wednesday 25 Nov on a Los Angeles host's own clock.
clock = ManualClock(dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC))
config = load_config(sys.argv[2] + "/assets/hall.sample.yaml")
db = Database(sys.argv[1])
engine = QueueEngine(config, db, clock)
t = engine.issue("pension_enrol")
paper = document_bytes(ticket_doc(config, t), PrinterSettings()).decode("gb18030", "replace")
clock.advance(600)
engine.call_next(1)
clock.advance(300)
engine.finish(1)
engine.press_rating_key(1, 4)  # 差评: 回访 due the next working day
s = engine.summary()
db.close()
con = sqlite3.connect(sys.argv[1])
rows = {
    table: con.execute(f"SELECT {cols} FROM {table}").fetchall()
    for table, cols in (
        ("tickets", "number, business_date, issued_at"),
        ("handlings", "business_date, called_at, finished_at"),
        ("followups", "kind, due_date"),
        ("outbox", "seq, type, occurred_at, business_date"),
    )
}
print(json.dumps({
    "host_now": time.strftime("%Y-%m-%d %H:%M %Z"),
    "business_date": t.business_date.isoformat(),
    "paper_time": [line for line in paper.splitlines() if "2026" in line],
    "summary": [s.hall.issued, s.hall.finished, s.hall.dissatisfied],
    "rows": rows,
}, ensure_ascii=False, default=str))
"""


def run_day(tmp_path: Path, tz: str) -> dict[str, object]:
    env = dict(os.environ, TZ=tz)
    out = subprocess.run(
        [sys.executable, "-c", DAY, str(tmp_path / f"{tz.replace('/', '_')}.db"), str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_host_timezone_changes_nothing(tmp_path: Path) -> None:
    runs = {tz: run_day(tmp_path, tz) for tz in ("UTC", "America/Los_Angeles", "Pacific/Kiritimati")}
    # the hosts really did disagree about the date and hour
    assert [str(r["host_now"])[:13] for r in runs.values()] != [str(runs["UTC"]["host_now"])[:13]] * 3
    base = runs["UTC"]
    assert base["business_date"] == "2026-11-26"
    assert any(line.endswith("取号时间：2026-11-26 09:30") for line in base["paper_time"]), base  # type: ignore[attr-defined]
    rows = base["rows"]
    assert isinstance(rows, dict)
    assert rows["tickets"][0][1] == "2026-11-26" and rows["tickets"][0][2].startswith("2026-11-26 01:30")
    # 回访 the next working day, 整改 fifteen working days on (Chinese calendar, from Shanghai's date)
    assert rows["followups"] == [["callback", "2026-11-27"], ["rectification", "2026-12-17"]]
    for tz, r in runs.items():
        assert {k: v for k, v in r.items() if k != "host_now"} == {
            k: v for k, v in base.items() if k != "host_now"
        }, tz
