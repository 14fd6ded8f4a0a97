"""`kiosk-admin keypad-monitor` as an installer runs it: a real process on a real pty, started from a
folder that is not the checkout, printing every frame with its decode and the kiosk's verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drivers.keypad.events import StaffAction
from drivers.keypad.frames import encode
from drivers.keypad.simulator import SimulatedKeypadBus

from .conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
ADMIN = [sys.executable, "-m", "kiosk.cli.admin"]


def run_monitor(args: list[str], cwd: Path, env_root: Path = ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ADMIN, "keypad-monitor", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(env_root), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_monitor_on_a_pty_decodes_acknowledges_and_explains(sim: SimulatedKeypadBus, tmp_path: Path) -> None:
    hall = tmp_path / "hall.yaml"
    text = (ROOT / "assets" / "hall.sample.yaml").read_text(encoding="utf-8")
    hall.write_text(
        text.replace(
            "    - {name: counter, url: simulated, baudrate: 9600, protocol: ff68}",
            '    - {name: counter, url: simulated, baudrate: 9600, protocol: ff68, key_map: {"21": call_next}}',
        ),
        encoding="utf-8",
    )
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    proc = run_monitor(["--config", str(hall), "--url", sim.url, "--seconds", "6"], elsewhere)
    try:
        # Wait until the port is open (the ACK of a probe frame comes back), then talk.
        probe = encode(9, 0x00, b"\x21")
        assert wait_until(lambda: (sim.send(probe), sim.wait_for(lambda f: f.raw == probe, 0.2))[1], 15)
        sim.send(encode(1, 0x02, b"\x21"))  # the bus's own key map: call next on window 1
        sim.send(sim.protocol.key_frame(2, StaffAction.CALL_NEXT))  # 0C: not in this bus's map
        sim.send(sim.protocol.rating_frame(3, 1))
        sim.send(b"\x01\x02\x03")  # garbage
        assert sim.wait_for(lambda f: f.address == 3 and f.command == 0x01 and f.data == b"\x01") is not None
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert f"listening on {sim.url}" in out
    assert "FF 68 03 03 68 01 02 21 24 16" in out
    assert "addr   1  cmd 02  data 21                call_next → window 1: call_next" in out
    assert (
        "addr   2  cmd 00  data 0C                ? → not understood: key code 0C is not in this bus's key_map"
        in out
    )
    assert "rating key 1 → window 3: rating key 1" in out
    assert "ignored: address 9 is not assigned to any window" in out
    assert "address 2: 1 frame(s) not understood" in out
    assert "bytes dropped 3" in out


def test_monitor_replays_a_capture_without_a_port(tmp_path: Path) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text(
        "# a keypad of another vendor, captured with a terminal program\n"
        "FF 68 03 03 68 01 05 0C 12 16\n"
        "FF 68 03 03 68 01 05 0C 12 16  # sent again: our ACK was missed\n",
        encoding="utf-8",
    )
    proc = run_monitor(["--capture", str(capture)], tmp_path)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "cmd 05  data 0C                call_next → ignored: address 1 is not assigned" in out
    assert "frames 2" in out


def test_monitor_says_what_to_give_it(tmp_path: Path) -> None:
    proc = run_monitor([], tmp_path)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--url PORT" in out
