"""Test helpers for the call board: a real kiosk runtime with its board on loopback, and an SSE reader."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from pathlib import Path
from typing import Any

from kiosk.config.schema import BoardSettings, HallConfig
from kiosk.engine.clock import ManualClock
from kiosk.services.runtime import KioskRuntime, build_runtime


def board_config(config: HallConfig, **board: Any) -> HallConfig:
    """The sample hall with its simulated printer on a free port and a board on 127.0.0.1 (free port)."""
    printer = config.devices.printer.model_copy(update={"port": 0})
    devices = config.devices.model_copy(update={"printer": printer})
    settings = BoardSettings(**{"host": "127.0.0.1", "port": 0, "heartbeat_seconds": 1.0, **board})
    return config.model_copy(update={"devices": devices, "board": settings})


def start_runtime(config: HallConfig, data: Path, clock: ManualClock) -> KioskRuntime:
    return build_runtime(config, data, clock=clock).start()


class SSE:
    """One event stream, read on the test's thread with a deadline (no sleeps as assertions)."""

    def __init__(self, port: int, path: str, headers: dict[str, str] | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", path, headers=headers or {})
        self.resp = self.conn.getresponse()
        self.events: list[dict[str, Any]] = []

    def _read_one(self) -> dict[str, Any] | None:
        ev: dict[str, Any] = {}
        while True:
            line = self.resp.readline().decode()
            if line == "":
                raise EOFError("stream closed")
            line = line.rstrip("\n")
            if not line:
                if "event" in ev:
                    ev["data"] = json.loads(ev.get("data", "null"))
                    return ev
                ev = {}
                continue
            field, _, value = line.partition(": ")
            if field in ("id", "event", "data"):
                ev[field] = value

    def until(self, predicate: Any, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ev = self._read_one()
            if ev is not None:
                self.events.append(ev)
                if predicate(ev):
                    return ev
        raise AssertionError(f"no such event in {timeout}s; got {[e['event'] for e in self.events]}")

    def close(self) -> None:
        self.conn.close()


# ---- browser tests: the kiosk as a child process, Debian's chromium, a cuttable network -------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--autoplay-policy=no-user-gesture-required",
    "--no-first-run",
    "--disable-gpu",
]
DEBOUNCE_S = 1.6  # the bus takes the same frame again within 1.5 s for a resend (retransmit_window_ms)
WORKING_MORNING_ISO = "2026-11-26T01:30:00+00:00"  # 09:30 Asia/Shanghai on a Thursday


class BoardKiosk:
    """`python -m kiosk.sim.kiosk_proc`: the real runtime (keypad bus on a pty, board on loopback) in a
    child process the test can SIGKILL and start again on the same data directory and port."""

    def __init__(self, tmp: Path, sample_yaml: Path, port: int, **board: Any):
        import yaml

        self.port = port
        self.data = tmp / "kiosk-data"
        self.config = tmp / "hall.yaml"
        text = sample_yaml.read_text(encoding="utf-8")
        settings = {"host": "127.0.0.1", "port": port, "heartbeat_seconds": 1.0, **board}
        self.config.write_text(text + "\n" + yaml.safe_dump({"board": settings}, allow_unicode=True))
        self.log = tmp / "kiosk.log"
        self.t0 = time.time()
        self.proc: Any = None
        self._pressed: dict[tuple[int, str], float] = {}

    def start(self) -> None:
        from kiosk.sim.procs import KioskProcess

        argv = ["--config", str(self.config), "--data-dir", str(self.data)]
        argv += ["--clock-origin", WORKING_MORNING_ISO, "--clock-wall-t0", repr(self.t0), "--speed", "1"]
        self.proc = KioskProcess(argv, self.log)
        ready = self.proc.start(timeout=90)
        assert ready.get("ready"), ready

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        reply: dict[str, Any] = self.proc.call({"op": op, **args})
        assert "error" not in reply, reply
        return reply

    def issue(self, *services: str) -> list[str]:
        out = []
        for i, code in enumerate(services):
            reply = self.call("issue", service=code, request_id=f"r-{time.monotonic_ns()}-{i}")
            out.append(reply["number"] if "number" in reply else reply["ticket"]["number"])
        return out

    def press(self, window: int, action: str) -> dict[str, Any]:
        """A staff key on the window's keypad: the frame goes through the pty to the kiosk's bus. The
        same key again on the same keypad waits out the bus's debounce (a real finger's second press)."""
        key = (window, action)
        since = time.monotonic() - self._pressed.get(key, -1e9)
        if since < DEBOUNCE_S:
            time.sleep(DEBOUNCE_S - since)
        reply = self.call("press_staff", address=window, action=action)
        # The bus's retransmit window counts from its ACK, sent once the press is committed: from here.
        self._pressed[key] = time.monotonic()
        return reply

    def kill(self) -> None:
        self.proc.kill()

    def stop(self) -> None:
        if self.proc is not None and self.proc.running:
            self.proc.quit()

    def url(self, path: str, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}{path}"


class CuttableLink:
    """A TCP relay between the board's browser and the kiosk: `cut()` drops every connection and refuses
    new ones (the board's network is gone), `restore()` listens again on the same port."""

    def __init__(self, upstream_port: int):
        import socket
        import threading

        self.upstream = upstream_port
        self._socket, self._threading = socket, threading
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: Any = None
        self.restore()

    def restore(self) -> None:
        s = self._socket.socket()
        s.setsockopt(self._socket.SOL_SOCKET, self._socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        self._server = s
        self._threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, server: Any) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = self._socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: Any, dst: Any) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        self._server.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(self._socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def close(self) -> None:
        self.cut()
