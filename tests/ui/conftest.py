"""UI tests: a real Xvfb display, a clean Kivy home, one process per scenario.

Xvfb is required (our setup script installs it); these tests do not skip without it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_display() -> int:
    for n in range(200, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


class Display:
    def __init__(self, size: str):
        self.size = size
        self.number = _free_display()
        self.proc = subprocess.Popen(
            ["Xvfb", f":{self.number}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{self.number}").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb :{self.number} did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="session")
def displays() -> Iterator[dict[str, Display]]:
    made: dict[str, Display] = {}

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, size: str) -> Display:
            made[size] = Display(size)
            self[size] = made[size]
            return made[size]

    yield Lazy()
    for d in made.values():
        d.close()


@pytest.fixture
def run_scenario(displays: dict[str, Display], tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(name: str, size: str = "1920x1080", timeout: float = 120) -> subprocess.CompletedProcess[str]:
        display = displays[size]
        home = tmp_path / "kivy-home"
        home.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            DISPLAY=f":{display.number}",
            KIVY_NO_ARGS="1",
            KIVY_NO_CONSOLELOG="1",
            KIVY_HOME=str(home),  # no user config.ini leaks in
            KIVY_WINDOW="sdl2",
            KIVY_AUDIO="sdl2",
        )
        cmd = [str(ROOT / ".venv" / "bin" / "python"), "-m", "tests.ui.driver", name, str(tmp_path / "data")]
        if not Path(cmd[0]).exists():
            import sys

            cmd[0] = sys.executable
        cmd += ["--size", size]
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

    return run
