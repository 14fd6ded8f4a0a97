"""A simulated keypad bus on a pty pair: the driver opens the slave end, this class plays the keypads.

The driver is given a stable symlink (``url``) in a temporary directory, the way a real install is given
``/dev/serial/by-id/...``. ``unplug()`` closes the pty (the driver's reads fail, as with a pulled USB
adapter) and removes the link; ``replug()`` opens a fresh pty and points the link at it, so the driver's
reconnect loop finds the "same" port again.

Run ``python -m drivers.keypad.simulator --help`` for the demo.
"""

from __future__ import annotations

import os
import random
import select
import tempfile
import threading
import time
import tty
from collections.abc import Callable, Sequence
from pathlib import Path

from .events import StaffAction
from .ff68 import CMD_BEEP, CMD_DISPLAY, CMD_RATING_ACK, FF68Parser, FF68Protocol
from .frames import Frame, transmission_seconds


class SimulatedKeypadBus:
    """Keypads on the master side of a pty; records every frame the driver sends them."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        baudrate: int | None = None,
        retry_s: float = 0.2,
    ) -> None:
        self._tmp = None if directory else tempfile.TemporaryDirectory(prefix="keypad-sim-")
        base = Path(directory) if directory else Path(self._tmp.name)  # type: ignore[union-attr]
        self.url = str(base / "usb-keypad-bus-if00-port0")
        self.baudrate = baudrate
        """If set, bytes are paced as a UART at this speed would deliver them; else written at once."""
        self.retry_s = retry_s
        self.protocol = FF68Protocol()
        self.received: list[tuple[float, Frame]] = []
        """Host → device frames as (monotonic time read, frame)."""
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._master = -1
        self._slave = -1
        self._reader: threading.Thread | None = None
        self._running = False
        self._random: threading.Thread | None = None
        self._random_stop = threading.Event()
        self.plugs = 0
        self.echo = False
        """True: every byte the driver writes comes straight back to it, as on an RS-485 adapter that
        hears its own transmission."""

    # -- lifecycle ------------------------------------------------------------------------------------
    def __enter__(self) -> SimulatedKeypadBus:
        self.replug()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def replug(self) -> None:
        """Plug a (new) adapter in: a fresh pty pair, the stable link pointed at its slave end."""
        if self._master >= 0:
            self.unplug()
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline before the driver configures the port
        self._master, self._slave = master, slave
        tmp_link = self.url + ".new"
        os.symlink(os.ttyname(slave), tmp_link)
        os.replace(tmp_link, self.url)
        self._running = True
        self._reader = threading.Thread(
            target=self._read_loop, args=(master,), name="keypad-sim", daemon=True
        )
        self._reader.start()
        self.plugs += 1

    def unplug(self) -> None:
        """Pull the adapter: close both pty ends and remove the link. The driver's I/O fails at once."""
        self._running = False
        if self._reader is not None:
            self._reader.join(2)
            self._reader = None
        with self._write_lock:
            for fd in (self._master, self._slave):
                if fd >= 0:
                    os.close(fd)
            self._master = self._slave = -1
        if os.path.lexists(self.url):
            os.unlink(self.url)

    def close(self) -> None:
        self.stop_random()
        if self._master >= 0:
            self.unplug()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- keypads → driver -----------------------------------------------------------------------------
    def send(self, data: bytes) -> float:
        """Put bytes on the line; returns the monotonic time the first byte started (for latency)."""
        with self._write_lock:
            if self._master < 0:
                raise OSError("simulated adapter is unplugged")
            t0 = time.monotonic()
            if not self.baudrate:
                os.write(self._master, data)
                return t0
            byte_s = transmission_seconds(1, self.baudrate)
            for i in range(len(data)):
                # A receiving UART has byte i once its stop bit is in: t0 + (i + 1) byte times.
                delay = t0 + (i + 1) * byte_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                os.write(self._master, data[i : i + 1])
            return t0

    def _press(self, frame: bytes, lose_ack: bool) -> float:
        t0 = self.send(frame)
        if lose_ack:  # the device did not hear our ACK and sends the same frame again
            time.sleep(self.retry_s)
            self.send(frame)
        return t0

    def press_staff(self, address: int, action: StaffAction, *, lose_ack: bool = False) -> float:
        return self._press(self.protocol.key_frame(address, action), lose_ack)

    def press_rating(self, address: int, key: int, *, lose_ack: bool = False) -> float:
        return self._press(self.protocol.rating_frame(address, key), lose_ack)

    def send_noise(self, n: int, rng: random.Random) -> bytes:
        """Random line noise that can never contain a frame head (no 0xFF byte), so no frame is invented."""
        data = bytes(rng.randrange(0xFF) for _ in range(n))
        self.send(data)
        return data

    def send_truncated(self, address: int, action: StaffAction, keep: int = 6) -> None:
        """A key frame cut short (collision, power dip): the driver must discard it and not lose the next."""
        self.send(self.protocol.key_frame(address, action)[:keep])

    def send_bad_checksum(self, address: int, key: int) -> None:
        raw = bytearray(self.protocol.rating_frame(address, key))
        raw[-2] ^= 0x5A
        self.send(bytes(raw))

    # -- driver → keypads -----------------------------------------------------------------------------
    def _read_loop(self, master: int) -> None:
        parser = FF68Parser(min_len=2, max_len=8)  # host frames: beep has LEN 2, display LEN 8
        while self._running:
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                data = os.read(master, 4096) if ready else b""
            except OSError:
                return  # unplugged under us
            if data:
                now = time.monotonic()
                if self.echo:
                    with self._write_lock:
                        os.write(master, data)
                frames = parser.feed(data)
                if frames:
                    with self._cond:
                        self.received.extend((now, f) for f in frames)
                        self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[Frame], bool], timeout: float = 10.0, since: int = 0
    ) -> Frame | None:
        """Block until a received frame (at index >= ``since``) matches; None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for _, f in self.received[since:]:
                    if predicate(f):
                        return f
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def frames(self, address: int | None = None, command: int | None = None) -> list[Frame]:
        with self._cond:
            return [
                f
                for _, f in self.received
                if (address is None or f.address == address) and (command is None or f.command == command)
            ]

    def acks(self, address: int) -> list[Frame]:
        return [
            f
            for f in self.frames(address)
            if f.command not in (CMD_DISPLAY, CMD_BEEP)
            and not (f.command == CMD_RATING_ACK and f.data == b"\x0b")
        ]

    def beeps(self, address: int) -> int:
        return len(self.frames(address, CMD_BEEP))

    def displays(self, address: int) -> list[str]:
        """Display frames as text: 6 digits, blanks as spaces (waiting count left, ticket number right)."""
        return [
            "".join(" " if d == 0x0A else str(d) for d in f.data) for f in self.frames(address, CMD_DISPLAY)
        ]

    # -- random behaviour (the demo) ------------------------------------------------------------------
    def start_random(
        self, addresses: Sequence[int], *, seed: int = 0, speed: float = 1.0, noise: float = 0.0
    ) -> None:
        """Staff call, serve and ask for a rating; residents rate (mostly well) or walk off; line noise."""
        rng = random.Random(seed)
        self._random_stop.clear()

        serving = dict.fromkeys(addresses, False)

        def next_action(address: int) -> StaffAction:
            """The obvious routine: call; then recall, mark absent or finish and ask for a rating."""
            roll = rng.random()
            if not serving[address]:
                serving[address] = roll < 0.9
                if roll < 0.9:
                    return StaffAction.CALL_NEXT
                return StaffAction.PAUSE if roll < 0.95 else StaffAction.CANCEL
            if roll < 0.15:
                return StaffAction.RECALL
            serving[address] = False
            return StaffAction.NO_SHOW if roll < 0.25 else StaffAction.REQUEST_RATING

        def staff_loop() -> None:
            while not self._random_stop.wait(rng.uniform(0.5, 2.0) / speed):
                address = rng.choice(list(addresses))
                action = next_action(address)
                try:
                    self.press_staff(address, action, lose_ack=rng.random() < 0.05)
                    if action is StaffAction.REQUEST_RATING and rng.random() < 0.85:
                        time.sleep(rng.uniform(0.3, 1.5) / speed)
                        self.press_rating(address, rng.choices(range(5), weights=(60, 25, 8, 5, 2))[0])
                    if noise and rng.random() < noise:
                        self.send_noise(rng.randint(1, 20), rng)
                except OSError:
                    pass  # unplugged: the keypads wait for the adapter like real ones

        self._random = threading.Thread(target=staff_loop, name="keypad-sim-random", daemon=True)
        self._random.start()

    def stop_random(self) -> None:
        self._random_stop.set()
        if self._random is not None:
            self._random.join(5)
            self._random = None


def main(argv: list[str] | None = None) -> None:
    """Play keypads on a pty and print its path, for a kiosk (``url:`` in the hall config) to open."""
    import argparse
    import time

    ap = argparse.ArgumentParser(prog="python -m drivers.keypad.simulator", description=main.__doc__)
    ap.add_argument("--addresses", default="1,2,3,4", help="keypad addresses; address N is window N")
    ap.add_argument("--seconds", type=float, default=0.0, help="how long to run (0: until Ctrl-C)")
    ap.add_argument("--speed", type=float, default=2.0, help="how fast staff and residents press keys")
    ap.add_argument("--noise", type=float, default=0.1, help="share of presses followed by line noise")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", help="directory for the stable port link (default: a temp dir)")
    args = ap.parse_args(argv)
    addresses = [int(a) for a in args.addresses.split(",") if a.strip()]
    end = time.monotonic() + args.seconds if args.seconds > 0 else float("inf")
    with SimulatedKeypadBus(args.dir) as sim:
        print(f"simulated keypad bus: {sim.url} (9600 8N1, FF 68), keypads {addresses}", flush=True)
        sim.start_random(addresses, seed=args.seed, speed=args.speed, noise=args.noise)
        try:
            while time.monotonic() < end:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
