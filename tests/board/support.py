"""Test helpers for the call board: a real kiosk runtime with its board on loopback, and an SSE reader."""

from __future__ import annotations

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
