"""The simulator follows the configured hall (its own sessions, services and windows), and
`kiosk-admin` works from any folder — not only from the checkout's root with the sample hall."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kiosk.config.loader import load_config
from kiosk.engine.clock import utc_from_local
from kiosk.sim.arrivals import arrivals, rate_per_hour

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "assets" / "hall.sample.yaml"


def evening_hall(folder: Path) -> Path:
    """A hall written from the docs: open 18:00–23:59 only, three services, two windows."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["hall_id"] = "evening-hall"
    data["name"] = "夜间便民服务站"
    data["sessions"] = [{"start": "18:00", "end": "23:59"}]
    keep = ["residence_proof", "elderly_allowance", "social_card"]
    data["services"] = [s for s in data["services"] if s["code"] in keep]
    data.pop("home", None)  # the sample's home-screen layout names services this hall does not have
    data["windows"] = [
        {"number": 1, "name": "综合窗口", "services": keep, "keypad": {"bus": "counter", "address": 5}},
        {"number": 2, "name": "老年人窗口", "services": keep[:2], "keypad": {"bus": "counter", "address": 6}},
    ]
    path = folder / "evening.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_config(path)  # valid as written
    return path


def test_arrivals_follow_the_halls_own_sessions(tmp_path: Path) -> None:
    config = load_config(evening_hall(tmp_path))
    day = dt.date(2026, 11, 25)
    start = utc_from_local(day, dt.time(17, 0), config.timezone)
    end = utc_from_local(day, dt.time(23, 59), config.timezone)
    people = arrivals(config, start, end, seed=3)
    assert len(people) > 40, len(people)  # the sample's fixed 09:00–17:30 curve gave none here
    local = [p.at.astimezone(dt.timezone(dt.timedelta(hours=8))).time() for p in people]
    assert all(dt.time(18, 0) <= t < dt.time(23, 29) for t in local)  # open, before the cut-off
    first_hour = sum(t < dt.time(19, 0) for t in local)
    last_hour = sum(t >= dt.time(22, 29) for t in local)
    assert first_hour > last_hour  # the morning-like peak comes after the hall's own opening
    assert {p.service_code for p in people} <= {s.code for s in config.services}
    assert rate_per_hour(config, dt.time(10, 0)) == 0.0  # the sample's peak hour is closed here


def test_the_sample_hall_keeps_its_curve() -> None:
    config = load_config(SAMPLE)
    assert rate_per_hour(config, dt.time(9, 30)) == pytest.approx(42.0)
    assert rate_per_hour(config, dt.time(14, 30)) == pytest.approx(22.0)
    assert rate_per_hour(config, dt.time(13, 0)) == 0.0


def admin(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli.admin", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_admin_commands_from_another_folder_use_the_sample_hall(tmp_path: Path) -> None:
    done = admin(["summary", "--data-dir", str(tmp_path / "data"), "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"hall_id": "baiyang-shuangyang"' in done.stdout
    done = admin(["close-day", "--data-dir", str(tmp_path / "data"), "--date", "2026-11-20"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "日结完成" in done.stdout


@pytest.mark.timeout(300)
def test_simulate_day_runs_an_evening_hall_from_another_folder(tmp_path: Path) -> None:
    hall = evening_hall(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = admin(
        ["simulate-day", "--config", str(hall), "--data-dir", str(tmp_path / "runs"),
         "--date", "2026-11-25", "--hours", "1.5", "--speed", "300", "--seed", "5"],
        elsewhere,
        timeout=280,
    )  # fmt: skip
    assert "IndexError" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert "夜间便民服务站" in done.stdout or "evening-hall" in done.stdout, done.stdout[-2000:]
