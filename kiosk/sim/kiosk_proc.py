"""The kiosk as a child process of the day simulator, driven by JSON lines on stdin/stdout.

    python -m kiosk.sim.kiosk_proc --config hall.yaml --data-dir DIR \
        --clock-origin 2026-11-25T00:58:00+00:00 --clock-wall-t0 1764118000.0 --speed 600

It builds the real `KioskRuntime` (engine on SQLite, simulated printer on loopback, simulated keypad
bus on a pty, sync scheduler) on a `SharedClock`, prints ``{"ready": true, ...}`` and then answers one
JSON object per command line. Every keypad press goes through the pty, the FF 68 parser, the bus and
the dispatcher, exactly as a press on a real 呼叫评价器 would. The orchestrator SIGKILLs this process
once mid-day and starts it again on the same data directory.

Commands (``{"op": ...}``): ``tap`` / ``collect`` (a resident's tap on the touch screen, answered later),
``issue`` (the same, answered at once), ``lookup`` (tickets by request id), ``press_staff`` /
``press_rating`` (keypad keys; answered once the kiosk has dealt with the press), ``window_op`` (the
staff screen's software caller), ``printer`` (set the simulated printer's state), ``reprint_failures``,
``unplug`` / ``replug`` (the keypad bus's USB adapter), ``close_day``, ``sync_now``, ``status``, ``quit``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drivers.keypad.dispatch import Applied
from drivers.keypad.events import KeyKind, StaffAction
from kiosk.config.loader import load_config
from kiosk.db import models as m
from kiosk.engine.clock import as_utc
from kiosk.services.runtime import KioskRuntime, TicketOutcome, build_runtime
from kiosk.sim.clock import SharedClock
from kiosk.sim.wire import applied_json, plain, ticket_json

log = logging.getLogger("kiosk.sim.kiosk_proc")

EXPIRY_INTERVAL_S = 0.05
"""Real seconds between rating-slot expiry sweeps. The runtime's own ticker sweeps every real second,
which at speed 600 is ten simulated minutes; a finer sweep keeps 未评价 close to the 60 s rule."""


class KioskChild:
    def __init__(self, runtime: KioskRuntime):
        self.rt = runtime
        self._applied: list[Applied] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._taps: list[tuple[str, Future[TicketOutcome]]] = []
        if runtime.dispatcher is not None:
            runtime.dispatcher.on_applied = self._on_applied
        threading.Thread(target=self._expire_loop, name="sim-expiry", daemon=True).start()

    # ---- keypads ---------------------------------------------------------------------------------
    def _on_applied(self, a: Applied) -> None:
        with self._cond:
            self._applied.append(a)
            self._cond.notify_all()

    def _bus_up(self) -> bool:
        d = self.rt.dispatcher
        return d is not None and all(str(getattr(b.state, "value", b.state)) == "up" for b in d.health())

    def press_staff(self, address: int, action: str, timeout: float = 5.0) -> dict[str, Any]:
        sim = self.rt.keypad_sim
        if sim is None or not self._bus_up():
            return {"error": "bus_down"}
        act = StaffAction[action]
        with self._cond:
            since = len(self._applied)
        try:
            sim.press_staff(address, act)
        except OSError:
            return {"error": "bus_down"}
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for a in self._applied[since:]:
                    e = a.event
                    if e.address == address and e.kind is KeyKind.STAFF and e.action is act:
                        return applied_json(a)
                left = deadline - time.monotonic()
                if left <= 0:
                    return {"error": "no_answer"}
                self._cond.wait(left)

    def press_rating(self, address: int, key: int, timeout: float = 5.0) -> dict[str, Any]:
        """Press a rating key and wait until the kiosk has dealt with it: the bus dropped it as a double
        press or a resend, or the engine applied or ignored it. Waiting keeps the press in order with
        what the orchestrator does next (a finish from the staff screen does not go through the bus)."""
        sim, d = self.rt.keypad_sim, self.rt.dispatcher
        if sim is None or d is None or not self._bus_up():
            return {"error": "bus_down"}
        bus = next((b for b in d.buses if address in b.windows), None)
        if bus is None:
            return {"error": "unknown_address"}
        frames, events = bus.counters.frames, bus.counters.events
        with self._cond:
            since = len(self._applied)
        try:
            sim.press_rating(address, key)
        except OSError:
            return {"error": "bus_down"}
        deadline = time.monotonic() + timeout
        while bus.counters.frames == frames:
            if time.monotonic() > deadline:
                return {"error": "no_answer"}
            time.sleep(0.001)
        if bus.counters.events == events:
            return {"outcome": "dropped_by_bus"}  # debounced double press, or a resend of the same frame
        with self._cond:
            while True:
                for a in self._applied[since:]:
                    e = a.event
                    if e.address == address and e.kind is KeyKind.RATING and e.key_index == key:
                        out = applied_json(a)
                        res = out.get("result") or {}
                        out["outcome"] = "rated" if res.get("accepted") else f"ignored:{res.get('reason')}"
                        return out
                left = deadline - time.monotonic()
                if left <= 0:
                    return {"error": "no_answer"}
                self._cond.wait(left)

    def _expire_loop(self) -> None:
        while not self._stop.wait(EXPIRY_INTERVAL_S):
            try:
                self.rt.engine.expire_rating_slots()
            except Exception:
                log.exception("expiry sweep failed")

    # ---- status ----------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        engine = self.rt.engine

        def q(s: Session) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for w in self.rt.config.windows:
                ws = s.get(m.WindowState, w.number)
                h = s.get(m.Handling, ws.current_handling_id) if ws and ws.current_handling_id else None
                t = s.get(m.Ticket, h.ticket_id) if h else None
                out[str(w.number)] = {
                    "status": ws.status if ws else "open",
                    "current": t.number if t else None,
                    "ticket_id": t.id if t else None,
                    "service_code": t.service_code if t else None,
                    "recalls": h.recalls if h else 0,
                }
            waiting = s.scalar(
                select(func.count()).where(
                    m.Ticket.business_date == engine.ctx.today(), m.Ticket.status == "waiting"
                )
            )
            return {"windows": out, "waiting": int(waiting or 0)}

        data = engine.db.read(q)
        sched = self.rt.sync.scheduler
        st = sched.status if sched else None
        buses = []
        if self.rt.dispatcher is not None:
            for b in self.rt.dispatcher.health():
                buses.append(
                    {
                        "name": b.name,
                        "state": str(getattr(b.state, "value", b.state)),
                        "opens": b.counters.get("opens", 0),
                        "debounced": b.counters.get("debounced", 0),
                        "retransmits": b.counters.get("retransmits", 0),
                        "events": b.counters.get("events", 0),
                    }
                )
        printer = self.rt.printer.last_status if self.rt.printer else None
        data.update(
            now=engine.clock.now().isoformat(),
            backlog=engine.outbox_backlog(),
            sync_phase=str(getattr(st.phase, "value", st.phase)) if st else "disabled",
            sync_error=st.last_error if st else None,
            buses=buses,
            printer=str(getattr(printer.state, "value", printer.state)) if printer else None,
        )
        return data

    # ---- commands --------------------------------------------------------------------------------
    def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd["op"]
        rt = self.rt
        if op == "issue":
            return ticket_json(rt.issue_ticket(cmd["service"], cmd.get("priority"), cmd["request_id"]), 60)
        if op == "tap":
            # A tap on the touch screen: queued on the runtime's desk thread like the UI's, answered later
            # by "collect", so residents at the screen never hold up the keypads.
            fut = rt.issue_ticket(cmd["service"], cmd.get("priority"), cmd["request_id"])
            self._taps.append((cmd["tap_id"], fut))
            return {"queued": True}
        if op == "collect":
            deadline = time.monotonic() + float(cmd.get("wait", 0))
            while any(not f.done() for _, f in self._taps) and time.monotonic() < deadline:
                time.sleep(0.002)
            done = [(tap, f) for tap, f in self._taps if f.done()]
            self._taps = [(tap, f) for tap, f in self._taps if not f.done()]
            return {"results": [{"tap_id": tap, **ticket_json(f, 0)} for tap, f in done]}
        if op == "lookup":
            # What the kiosk's record says about requests whose answer was lost (the power went).
            def q(s: Session) -> list[dict[str, Any]]:
                rows = s.scalars(select(m.Ticket).where(m.Ticket.request_id.in_(cmd["request_ids"])))
                return [
                    {
                        "request_id": t.request_id,
                        "id": t.id,
                        "number": t.number,
                        "issued_at": as_utc(t.issued_at).isoformat(),
                        "print_status": t.print_status,
                    }
                    for t in rows
                ]

            return {"tickets": rt.engine.db.read(q)}
        if op == "press_staff":
            return self.press_staff(int(cmd["address"]), cmd["action"])
        if op == "press_rating":
            return self.press_rating(int(cmd["address"]), int(cmd["key"]))
        if op == "window_op":
            try:
                result = rt.window_op(cmd["name"], int(cmd["window"]), *cmd.get("args", [])).result(30)
            except Exception as exc:  # noqa: BLE001 - the simulation's command loop answers every failure to its driver
                return {"error": type(exc).__name__, "message": str(exc)}
            return {"ok": True, "result": plain(result)}
        if op == "printer":
            sim = rt.printer_sim
            if sim is None:
                return {"error": "no_simulated_printer"}
            sim.set_state(cmd["state"])
            if rt.printer is not None:
                rt.printer.check_status()
            return {"ok": True}
        if op == "reprint_failures":
            reprinted = []
            for ticket_id, number, _err in rt.engine.print_failures():
                out = rt.reprint(ticket_id).result(60)
                reprinted.append({"number": number, "printed": out.printed})
            return {"reprinted": reprinted}
        if op in ("unplug", "replug"):
            if rt.keypad_sim is None:
                return {"error": "no_simulated_bus"}
            getattr(rt.keypad_sim, op)()
            return {"ok": True}
        if op == "close_day":
            return {"removed": rt.close_day().result(60)}
        if op == "sync_now":
            rt.sync.push_soon()
            return {"ok": True}
        if op == "status":
            return self.status()
        raise ValueError(f"unknown op {op!r}")

    def stop(self) -> None:
        self._stop.set()
        self.rt.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.sim.kiosk_proc")
    p.add_argument("--config", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--clock-origin", required=True, help="simulated instant at wall time t0 (ISO, aware)")
    p.add_argument("--clock-wall-t0", type=float, required=True, help="time.time() at the origin")
    p.add_argument("--speed", type=float, required=True, help="simulated seconds per real second")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(process)d %(name)s %(message)s"
    )
    clock = SharedClock(dt.datetime.fromisoformat(args.clock_origin), args.clock_wall_t0, args.speed)
    runtime = build_runtime(load_config(args.config), Path(args.data_dir), clock=clock)
    runtime.start()
    child = KioskChild(runtime)
    out = sys.stdout
    out.write(json.dumps({"ready": True, "pid": os.getpid(), "now": clock.now().isoformat()}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd.get("op") == "quit":
            child.stop()
            out.write(json.dumps({"ok": True, "bye": True}) + "\n")
            out.flush()
            return 0
        try:
            reply = child.handle(cmd)
        except Exception as exc:
            log.exception("command %s failed", cmd)
            reply = {"error": type(exc).__name__, "message": str(exc)}
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")
        out.flush()
    child.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
