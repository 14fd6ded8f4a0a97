"""The layers hold: the queue engine imports no device library and has no import cycle inside it; the
street centre imports nothing of the kiosk (a centre install needs neither Kivy nor the drivers)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, pkgutil, sys
sys.path.insert(0, {root!r})
pkg = importlib.import_module({top!r})
for info in pkgutil.walk_packages(pkg.__path__, prefix={top!r} + "."):
    if ".migrations." not in info.name:
        importlib.import_module(info.name)
print(" ".join(sorted(sys.modules)))
"""


def loaded_by(top: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(root=str(ROOT), top=top)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_importing_the_engine_loads_no_printer_or_serial_library() -> None:
    modules = loaded_by("kiosk.engine")
    assert "kiosk.engine.engine" in modules  # the walk really imported the engine
    assert not roots(modules) & {"escpos", "serial", "PIL", "usb", "qrcode", "kivy"}, sorted(
        m for m in modules if m.split(".")[0] in {"escpos", "serial", "PIL", "usb", "qrcode", "kivy"}
    )
    drivers = {m for m in modules if m.startswith("drivers.")}
    # The hall config embeds the devices' settings models; nothing else of a driver is loaded.
    assert drivers <= {
        "drivers.keypad",
        "drivers.printer",
        "drivers.keypad.settings",
        "drivers.printer.settings",
        "drivers.keypad.events",
    }, sorted(drivers)


def _engine_imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "kiosk" / "engine").glob("*.py")):
        name = f"kiosk.engine.{path.stem}"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "kiosk.engine":
                    deps |= {f"kiosk.engine.{a.name}" for a in node.names}
                elif node.module.startswith("kiosk.engine."):
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("kiosk.engine.")}
        graph[name] = deps - {name}
    return graph


def test_the_engine_modules_import_each_other_without_a_cycle() -> None:
    graph = _engine_imports()
    assert {"kiosk.engine.calling", "kiosk.engine.finishing", "kiosk.engine.ratings"} <= graph.keys()
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " → ".join([*path[path.index(dep) :], dep]))
            if dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_importing_the_centre_loads_neither_the_kiosk_nor_kivy() -> None:
    modules = loaded_by("sync.centre")
    assert {"sync.centre.app", "sync.centre.figures", "sync.contract.figures"} <= modules
    leaked = sorted(m for m in modules if m.split(".")[0] in {"kiosk", "kivy", "drivers", "escpos", "serial"})
    assert not leaked, leaked


def test_the_install_extras_keep_the_kiosk_and_the_centre_apart() -> None:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[\s\[<>=!;~]", r, maxsplit=1)[0].lower() for r in reqs}

    core = names(project["dependencies"])
    extras = {k: names(v) for k, v in project["optional-dependencies"].items()}
    kiosk_stack = {"kivy", "python-escpos", "pyserial", "pillow", "qrcode"}
    assert kiosk_stack <= extras["kiosk"]
    assert "psycopg" in extras["centre"]
    assert not (core | extras["centre"]) & kiosk_stack
    assert "psycopg" not in core | extras["kiosk"]
    assert "hall-kiosk" in extras["dev"]  # setup.sh's `.[dev]` installs both halves for the tests
