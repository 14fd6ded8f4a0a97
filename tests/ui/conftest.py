"""UI tests: a real Xvfb display, a clean Kivy home, one process per scenario.

Xvfb is required (our setup script installs it); these tests do not skip without it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.ui.automation import VirtualDisplay  # noqa: E402  (no Kivy at import)


@pytest.fixture(scope="session")
def displays() -> Iterator[dict[str, VirtualDisplay]]:
    made: dict[str, VirtualDisplay] = {}

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, size: str) -> VirtualDisplay:
            made[size] = VirtualDisplay(size, first=200)
            self[size] = made[size]
            return made[size]

    yield Lazy()
    for d in made.values():
        d.close()


@pytest.fixture
def run_scenario(displays: dict[str, VirtualDisplay], tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(
        name: str, size: str = "1920x1080", timeout: float = 120, hall: str = "sample"
    ) -> tuple[str, subprocess.CompletedProcess[str]]:
        display = displays[size]
        home = tmp_path / "kivy-home"
        home.mkdir(exist_ok=True)
        env = display.env(str(home))
        env["KIVY_AUDIO"] = "sdl2"  # no sound card under Xvfb: the voice must degrade, not crash
        # The interpreter running the tests (the 3.13 run's environment drives the kiosk on 3.13 too).
        cmd = [sys.executable, "-m", "tests.ui.driver", name, str(tmp_path / "data")]
        cmd += ["--size", size, "--hall", hall]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        report = Path(f"{tmp_path / 'data'}.report.txt")
        return (report.read_text(encoding="utf-8") if report.exists() else "(no report)"), done

    return run
