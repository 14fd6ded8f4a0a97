"""Window keypads (呼叫评价器) on RS-485 lines: FF 68 protocol, reconnecting transport, dispatch to the engine.

    settings = KeypadSettings(buses=[KeypadBusSettings(name="counter", url="/dev/serial/by-id/...",
                                                        keypads=[KeypadBinding(address=1, window=1)])])
    dispatcher = KeypadDispatcher.from_settings(engine, settings)   # engine satisfies WindowOps
    engine listeners → dispatcher.on_called(window, number) / dispatcher.on_waiting_changed(window, n)
    dispatcher.start() ... dispatcher.health() ... dispatcher.stop()

Modules: frames (bytes), ff68 (parser + protocol), protocol (the pluggable seam), events, transport (one
owner thread per port), bus (ACK, dedupe, debounce, liveness), dispatch (engine + displays), settings,
simulator (pty keypads; ``python -m drivers.keypad.simulator``). The in-memory engine stand-in the
tests use lives in tests/keypad/memory_ops.py.
See docs/keypad-protocol.md. Importing this package opens nothing and starts no thread.
"""
