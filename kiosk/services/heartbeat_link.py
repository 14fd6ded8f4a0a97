"""What the kiosk tells the street centre in its heartbeat, gathered from its own parts: the health
monitor's last snapshot (printer, keypad buses, outbox backlog), the engine (queues, windows, who is
signed in) and the data disk. Built on the sync thread; nothing here touches the UI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from drivers.keypad.transport import LinkState
from drivers.printer.status import PrinterState as Printer
from kiosk.config.schema import HallConfig
from kiosk.engine.engine import QueueEngine
from kiosk.services.health import Health
from sync.client.heartbeat import disk_free_mb
from sync.contract.heartbeat import Heartbeat

_PRINTER = {
    Printer.READY: "ok", Printer.PAPER_NEAR_END: "paper_near_end", Printer.PAPER_OUT: "paper_out",
    Printer.COVER_OPEN: "cover_open", Printer.CUTTER_ERROR: "error", Printer.OFFLINE: "offline",
    Printer.UNKNOWN: "offline",
}  # fmt: skip


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hall-kiosk")
    except PackageNotFoundError:
        return "dev"


def collect(
    engine: QueueEngine, health: Health, config: HallConfig, data_dir: Path, printer_since: dt.datetime | None
) -> Heartbeat:
    now = engine.clock.now()
    on_duty = engine.on_duty()
    doc = {
        "device_time": now.astimezone(dt.UTC).isoformat(),
        "business_date": engine.ctx.today(now).isoformat(),
        "open": engine.issuing_state().open,
        "waiting": {code: int(q["waiting"]) for code, q in engine.queue_overview().items()},
        "windows": [
            {
                "number": w.number,
                "status": engine.window_status(w.number),
                **({"staff_id": on_duty[w.number][0]} if w.number in on_duty else {}),
            }
            for w in config.windows
        ],
        "printer": {
            "state": _PRINTER.get(health.printer_state, "error"),
            **({"since": printer_since.isoformat()} if printer_since else {}),
            **({"detail": health.printer_message[:200]} if health.printer_message != "正常" else {}),
        },
        "keypads": [
            {
                "bus": b.name[:100],
                "state": "ok" if b.state == LinkState.UP else "offline",
                "silent": sorted({k.window for k in b.keypads if k.silent and k.window}),
            }
            for b in health.buses
        ],
        "outbox_backlog": max(0, health.sync.backlog),
        "disk_free_mb": disk_free_mb(data_dir),
        "software_version": software_version()[:40],
        "config_version": str(getattr(config, "config_version", "") or "—")[:40],
    }
    return Heartbeat.model_validate_json(json.dumps(doc))


class PrinterClock:
    """When the printer entered its current state (the heartbeat says how long a fault has lasted)."""

    def __init__(self) -> None:
        self.state: Printer | None = None
        self.since: dt.datetime | None = None

    def seen(self, state: Printer, now: dt.datetime) -> dt.datetime:
        if state != self.state or self.since is None:
            self.state, self.since = state, now
        return self.since
