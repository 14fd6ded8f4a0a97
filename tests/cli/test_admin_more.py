"""`kiosk-admin followup`, the text day report and `kiosk-admin walkthrough`, run as an operator runs
them: real files, exit codes and what they print."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.cli.admin import main
from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.engine import QueueEngine

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "assets" / "hall.sample.yaml")


def a_day_with_a_complaint(engine: QueueEngine, db: Database) -> tuple[str, list[str]]:
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.finish(1)
    engine.press_rating_key(1, 4)  # 非常不满意: a 回访 and a 整改
    engine.issue("pension_enrol")
    day = engine.ctx.today().isoformat()
    db.close()
    return day, ["--config", SAMPLE, "--data-dir", str(db.path.parent), "--date", day]


def test_followup_records_the_result_and_refuses_an_unknown_id(
    engine: QueueEngine, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _, args = a_day_with_a_complaint(engine, db)
    con = sqlite3.connect(db.path)
    (fid,) = con.execute("SELECT id FROM followups WHERE kind = 'callback'").fetchone()
    con.close()
    data = args[:4]
    assert main(["followup", fid, "已电话回访，居民表示理解", *data]) == 0
    assert "已记录" in capsys.readouterr().out
    con = sqlite3.connect(db.path)
    try:
        assert con.execute("SELECT status, result FROM followups WHERE id = ?", (fid,)).fetchone() == (
            "done",
            "已电话回访，居民表示理解",
        )
        assert con.execute("SELECT count(*) FROM followups WHERE status = 'open'").fetchone() == (1,)
        (payload,) = con.execute(
            "SELECT payload FROM outbox WHERE type = 'followup.updated' ORDER BY seq DESC"
        ).fetchone()
        (sent,) = json.loads(payload)["followups"]  # the centre hears of it
        assert (sent["id"], sent["status"], sent["result"]) == (fid, "done", "已电话回访，居民表示理解")
        events = con.execute("SELECT count(*) FROM outbox").fetchone()
    finally:
        con.close()
    assert main(["followup", "no-such-task", "x", *data]) == 1
    assert "没有这条回访任务：no-such-task" in capsys.readouterr().err
    con = sqlite3.connect(db.path)
    assert con.execute("SELECT count(*) FROM outbox").fetchone() == events  # nothing stored
    con.close()


def test_the_text_day_report_says_what_the_records_say(
    engine: QueueEngine, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    day, args = a_day_with_a_complaint(engine, db)
    assert main(["summary", *args]) == 0
    report = capsys.readouterr().out
    lines = report.splitlines()
    assert lines[0].endswith(f"日结 {day}  （时间单位：分钟）"), report
    hall = cells(next(line for line in lines if "全中心" in line))
    assert hall[1:5] == ["2", "1", "0", "0"], report  # issued, finished, no-show, removed
    assert hall[-3:] == ["1", "100.0%", "0.0%"], report  # rated, evaluation rate, satisfaction
    # overdue counts against the real date the operator runs it on
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    con = sqlite3.connect(db.path)
    overdue = con.execute("SELECT count(*) FROM followups WHERE due_date < ?", (today,)).fetchone()[0]
    con.close()
    assert f"差评 1 条；待回访/整改 2 条，逾期 {overdue} 条" in report, report
    complaint = cells(next(line for line in lines if "A001" in line))
    assert complaint[:3] == ["A001", "1号窗口", "非常不满意"], report
    # the hall's wall clock, not a UTC ISO instant
    assert re.fullmatch(r"\d\d:\d\d", complaint[3]) and "+00:00" not in report, report
    assert_columns_line_up(report)


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("│").split("│")]


def assert_columns_line_up(report: str) -> None:
    """Every row of each table has its column rules at the same display columns (a 汉字 is two wide):
    hand-padding by characters, as before, shifts every row holding Chinese."""
    from rich.cells import cell_len

    tables: list[list[str]] = []
    for line in report.splitlines():
        if line[:1] in "┌│├└":
            if line[0] == "┌":
                tables.append([])
            tables[-1].append(line)
    assert tables, report
    for rows in tables:
        rules = {tuple(cell_len(row[:i]) for i, ch in enumerate(row) if ch in "│┬┼┴┌┐├┤└┘") for row in rows}
        assert len(rules) == 1, "\n".join(rows)


def test_walkthrough_runs_a_morning_and_leaves_the_data_dir_clean(
    sample_config: HallConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    assert main(["walkthrough", "--config", SAMPLE, "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"取号 [A-Z]\d{3}", out)) == 5, out
    assert "号票已打印" in out and "最后一张号票的打印内容" in out
    assert "1 号窗口评价键 0：记为“非常满意”" in out, out
    assert re.search(r"1 号窗口评价键 0：忽略（", out), out  # the second press of the same resident
    assert "2 号窗口评价键 3：记为“不满意”" in out, out
    assert "材料不全：缺户口簿，已打印一次性告知单" in out
    assert re.search(r"日结：清除 \d+ 个未办理的号", out), out
    hall = cells(next(line for line in out.splitlines() if "全中心" in line))
    assert hall[1] == "5" and hall[2] == "3", out  # five issued, three finished
    due = dict(re.findall(r"│ (回访|整改)\s*│ (\d{4}-\d\d-\d\d) 前", out))
    assert set(due) == {"回访", "整改"}, out  # follow-up kinds as staff call them, not callback/…
    assert "callback" not in out and "rectification" not in out
    assert due["回访"] < due["整改"]
    assert_columns_line_up(out[out.index("日结 ") :])
    assert list(data.iterdir()) == [], "the walkthrough works in a temporary directory"
