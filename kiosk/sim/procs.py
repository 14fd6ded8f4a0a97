"""The simulator's two real child processes: the kiosk (`kiosk.sim.kiosk_proc`) and the street centre
(`street-centre serve`, i.e. uvicorn on a loopback port), plus the real enrolment flow between them."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import requests

import kiosk
from sync.client.enrolment import enrol_kiosk
from sync.client.settings import SyncSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout: float = 30, verify: bool | str = True) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url + "/health", timeout=1, verify=verify).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"centre at {url} did not come up")
        time.sleep(0.05)


def child_env() -> dict[str, str]:
    """The parent's environment, with the source tree importable even when it is not installed."""
    root = str(Path(kiosk.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


class ChildGone(RuntimeError):
    """The kiosk process died or did not answer in time."""


class KioskProcess:
    """`python -m kiosk.sim.kiosk_proc` with a JSON-line command channel."""

    def __init__(self, argv: list[str], log_path: Path):
        self.argv = argv
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.starts = 0
        self.kills = 0

    def start(self, timeout: float = 60) -> dict[str, Any]:
        log: IO[str] = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.sim.kiosk_proc", *self.argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env=child_env(),
        )
        log.close()
        self._lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self._lines), daemon=True).start()
        self.starts += 1
        return self._reply(timeout)

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def _reply(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise ChildGone(f"kiosk did not answer within {timeout} s (log: {self.log_path})") from None
        if line is None:
            raise ChildGone(f"kiosk process ended (log: {self.log_path})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def send(self, cmd: dict[str, Any]) -> None:
        if self.proc is None or self.proc.stdin is None:
            raise ChildGone("kiosk is not running")
        try:
            self.proc.stdin.write(json.dumps(cmd, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ChildGone(f"kiosk pipe closed: {exc}") from exc

    def call(self, cmd: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        self.send(cmd)
        return self._reply(timeout)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like pulling the kiosk's power cord."""
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
            self.proc = None
            self.kills += 1

    def quit(self, timeout: float = 60) -> None:
        if self.proc is None:
            return
        try:
            self.call({"op": "quit"}, timeout)
            self.proc.wait(timeout)
        except (ChildGone, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


class CentreProcess:
    """The street centre's real server in a subprocess on 127.0.0.1; stopped and started on one database."""

    def __init__(self, database_url: str, log_path: Path, db_schema: str | None = None):
        self.database_url = database_url
        self.db_schema = db_schema
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def _base(self) -> list[str]:
        cmd = [sys.executable, "-m", "sync.centre.cli", "--database-url", self.database_url]
        if self.db_schema:
            cmd += ["--db-schema", self.db_schema]
        return cmd

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*self._base(), "serve", "--port", str(self.port), "--log-level", "warning"],
                stdout=log,
                stderr=log,
                env=child_env(),
            )
        wait_healthy(self.url, timeout=60)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(30)
            self.proc = None

    def enrol(self, kiosk_id: str, hall_id: str, hall_name: str, settings: SyncSettings) -> None:
        """Staff run `street-centre enrol` and type the one-time token into the kiosk, which trades it
        for its key over HTTP and keeps it in its key file."""
        out = subprocess.run(
            [*self._base(), "enrol", "--kiosk", kiosk_id, "--hall", hall_id, "--hall-name", hall_name],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
            env=child_env(),
        )
        token = out.stdout.strip().splitlines()[-1]
        enrol_kiosk(settings, token)


def wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
