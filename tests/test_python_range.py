"""Python 3.11–3.13: what pyproject admits and which interpreter the set-up script takes."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_admits_3_11_to_3_13() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    spec = SpecifierSet(project["project"]["requires-python"])
    assert all(v in spec for v in ("3.11", "3.12", "3.13")) and "3.10" not in spec and "3.14" not in spec


def chosen(tmp_path: Path, pythons: dict[str, str | None], **env: str) -> subprocess.CompletedProcess[str]:
    """find_python with only ``pythons`` on PATH: name → a real interpreter, or None for one out of range."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, target in pythons.items():
        link = bin_dir / name
        if target is None:  # answers like a 3.10: not in range
            link.write_text("#!/bin/sh\nexit 1\n")
            link.chmod(0o755)
        else:
            link.symlink_to(target)
    script = f". {ROOT / 'scripts' / 'find-python.sh'} && find_python"
    clean = {"PATH": f"{bin_dir}:/usr/bin/env-free", "HOME": str(tmp_path / "home"), **env}
    return subprocess.run(["/bin/bash", "-c", script], env=clean, capture_output=True, text=True)


def test_the_system_python3_when_it_is_in_range(tmp_path: Path) -> None:
    done = chosen(tmp_path, {"python3": sys.executable, "python3.12": sys.executable})
    assert done.returncode == 0 and done.stdout.strip() == str(tmp_path / "bin" / "python3"), done


def test_else_a_python3_1x_it_finds(tmp_path: Path) -> None:
    done = chosen(tmp_path, {"python3": None, "python3.12": sys.executable})
    assert done.returncode == 0 and done.stdout.strip() == str(tmp_path / "bin" / "python3.12"), done


def test_else_pyenvs_newest(tmp_path: Path) -> None:
    for version in ("3.11.9", "3.13.1"):
        bin_dir = tmp_path / "home" / ".pyenv" / "versions" / version / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "python3").symlink_to(sys.executable)
    done = chosen(tmp_path, {"python3": None})
    assert done.stdout.strip().endswith("versions/3.13.1/bin/python3"), done


def test_none_in_range_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert chosen(tmp_path / "a", {"python3": None}).returncode == 1
    assert chosen(tmp_path / "b", {"python3": sys.executable}, PYTHON="python3.9").returncode == 1


def test_setup_says_what_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": str(tmp_path / "no-such-python")}
    done = subprocess.run([str(ROOT / "scripts" / "setup.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "Python 3.11, 3.12 or 3.13" in done.stderr and "apt-get install python3" in done.stderr, (
        done.stderr
    )
