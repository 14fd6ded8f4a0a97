"""Only kiosk.ui may import Kivy: the engine, services, drivers and sync run headless (and in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, pkgutil, sys
sys.path.insert(0, {root!r})
names = []
for top in ("kiosk", "drivers", "sync"):
    pkg = importlib.import_module(top)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=top + "."):
        if info.name == "kiosk.ui" or info.name.startswith("kiosk.ui."):
            continue
        if ".migrations." in info.name:
            continue  # Alembic's env and revision scripts run inside Alembic, not on import
        names.append(info.name)
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m == "kivy" or m.startswith("kivy."))
print(len(names), "modules imported")
assert not loaded, f"Kivy loaded outside kiosk.ui: {{loaded[:5]}}"
"""


def test_importing_everything_but_the_ui_loads_no_kivy() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    count = int(result.stdout.split()[0])
    assert count > 40, result.stdout  # the walk really found the packages


def test_kiosk_app_entry_point_defers_kivy() -> None:
    """`kiosk --help` must work without a display: kiosk.app imports Kivy only inside main()."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import kiosk.app; assert 'kivy' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
