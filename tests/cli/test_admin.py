"""`kiosk-admin` as an operator runs it: real files, real database, exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli.admin import main
from kiosk.config.pin import verify_pin
from kiosk.db.database import Database
from kiosk.engine.engine import QueueEngine

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "assets" / "hall.sample.yaml")


def test_check_config_accepts_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", SAMPLE]) == 0
    assert "12 services, 4 windows" in capsys.readouterr().out


def test_check_config_names_file_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "hall.yaml"
    text = Path(SAMPLE).read_text(encoding="utf-8").replace("    prefix: B\n", "    prefix: A\n", 1)
    broken.write_text(text.replace("issue_cutoff_minutes: 30", "issue_cutof_minutes: 30"), encoding="utf-8")
    assert main(["check-config", str(broken)]) == 1
    err = capsys.readouterr().err
    line = text.splitlines().index("issue_cutoff_minutes: 30") + 1
    assert (
        f"{broken}:{line}: issue_cutof_minutes: unknown key" in err
        and "did you mean 'issue_cutoff_minutes'" in err
    )
    assert "services[1].prefix: prefix 'A' is already used by services[0]" in err
    assert "2 problem(s)" in err


def test_hash_pin_makes_a_hash_that_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hash-pin", "--pin", "135790"]) == 0
    stored = capsys.readouterr().out.strip()
    assert verify_pin("135790", stored) and not verify_pin("135791", stored)
    assert main(["hash-pin", "--pin", "12"]) == 1


def test_summary_and_close_day_on_the_hall_database(
    tmp_path: Path, engine: QueueEngine, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    # The engine fixture's database is the file the CLI opens.
    engine.issue("pension_enrol")
    engine.call_next(1)
    engine.finish(1)
    engine.press_rating_key(1, 3)  # 不满意
    engine.issue("pension_enrol")
    day = engine.ctx.today().isoformat()
    data_dir = str(db.path.parent)
    db.close()
    args = ["--config", SAMPLE, "--data-dir", data_dir, "--date", day]
    assert main(["summary", "--json", *args]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["hall"]["issued"] == 2 and summary["hall"]["finished"] == 1
    assert summary["hall"]["satisfaction_rate"] == 0.0 and len(summary["dissatisfied"]) == 1
    assert main(["close-day", *args]) == 0
    assert "1 个未办理的号已清除" in capsys.readouterr().out
    assert main(["close-day", *args]) == 1
    assert "已日结" in capsys.readouterr().err
