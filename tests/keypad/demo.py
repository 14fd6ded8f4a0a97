"""``python -m tests.keypad.demo``: the whole keypad stack on a simulated bus, against the in-memory
window stand-in (tests/keypad/memory_ops.py); prints every press as it is applied, then a summary.

With ``--keypads-only`` it just plays the keypads on a pty and prints the port path, as
``python -m drivers.keypad.simulator`` does for a kiosk (``url:`` in the hall config) to be pointed at.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict

from drivers.keypad.bus import KeypadBus
from drivers.keypad.dispatch import Applied, KeypadDispatcher
from drivers.keypad.settings import KeypadBinding, KeypadBusSettings
from drivers.keypad.simulator import SimulatedKeypadBus
from drivers.keypad.transport import LinkState
from tests.keypad.memory_ops import InMemoryWindows


def _print_applied(a: Applied) -> None:
    what = a.event.describe()
    if a.error is not None:
        print(f"  {what:28} → window {a.window}: {a.operation} refused ({a.error}) — keypad beeps")
    else:
        print(f"  {what:28} → window {a.window}: {a.operation} {a.result if a.result is not None else ''}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m tests.keypad.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--addresses", default="1,2,3,4", help="keypad addresses; address N is window N")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long to run (0: until Ctrl-C)")
    ap.add_argument("--speed", type=float, default=2.0, help="how fast staff and residents press keys")
    ap.add_argument("--noise", type=float, default=0.1, help="share of presses followed by line noise")
    ap.add_argument("--unplug-every", type=float, default=0.0, help="pull and replug the adapter every N s")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", help="directory for the stable port link (default: a temp dir)")
    ap.add_argument("--keypads-only", action="store_true", help="only play the keypads; print the port")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    addresses = [int(a) for a in args.addresses.split(",") if a.strip()]
    end = time.monotonic() + args.seconds if args.seconds > 0 else float("inf")

    with SimulatedKeypadBus(args.dir) as sim:
        print(f"simulated keypad bus: {sim.url} (9600 8N1, FF 68), keypads {addresses}")
        if args.keypads_only:
            sim.start_random(addresses, seed=args.seed, speed=args.speed, noise=args.noise)
            _run_until(end, sim, args.unplug_every)
            return
        windows = InMemoryWindows(addresses)
        windows.issue(10)
        settings = KeypadBusSettings(
            name="sim",
            url=sim.url,
            reconnect_initial_s=0.2,
            reconnect_max_s=2.0,
            keypads=[KeypadBinding(address=a, window=a) for a in addresses],
        )
        bus = KeypadBus(settings)
        dispatcher = KeypadDispatcher(windows, [bus], on_applied=_print_applied)
        windows.subscribe(dispatcher.on_called, dispatcher.on_waiting_changed, dispatcher.on_finished)
        bus.on_state = _chain(bus.on_state, lambda b, s: print(f"  [bus {b.name} is {s.value}]"))
        dispatcher.start()
        try:
            sim.start_random(addresses, seed=args.seed, speed=args.speed, noise=args.noise)
            _run_until(end, sim, args.unplug_every, windows)
        finally:
            sim.stop_random()
            dispatcher.stop()
        health = dispatcher.health()[0]
        print(
            json.dumps(
                {
                    "ratings": len(windows.ratings),
                    "ignored_rating_presses": windows.ignored_ratings,
                    "finished": len(windows.finished),
                    "bus": health.counters,
                    "dispatch": asdict(dispatcher.counters),
                    "displays": {a: (sim.displays(a) or [""])[-1] for a in addresses},
                },
                ensure_ascii=False,
            )
        )


def _chain(first: Callable[..., None], second: Callable[..., None]) -> Callable[..., None]:
    def both(*a: object) -> None:
        first(*a)
        second(*a)

    return both


def _run_until(
    end: float, sim: SimulatedKeypadBus, unplug_every: float, windows: InMemoryWindows | None = None
) -> None:
    next_unplug = time.monotonic() + unplug_every if unplug_every else float("inf")
    try:
        while time.monotonic() < end:
            time.sleep(0.5)
            if windows is not None and len(windows.waiting) < 5:
                windows.issue(3)  # residents keep arriving
            if time.monotonic() >= next_unplug:
                print("  [adapter unplugged]")
                sim.unplug()
                time.sleep(1.0)
                sim.replug()
                print("  [adapter plugged back in]")
                next_unplug = time.monotonic() + unplug_every
    except KeyboardInterrupt:
        pass


__all__ = ["LinkState", "main"]

if __name__ == "__main__":
    main()
