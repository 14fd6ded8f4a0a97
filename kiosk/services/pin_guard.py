"""The staff PIN's lock-out, kept on disk so that restarting the kiosk (pulling its plug) does not
reset it: wrong PINs in a row lock the keypad for 2, 4, 8, 16, then 30 s, and the count and the
lock's end are written to `pin-lock.json` in the data directory before the verdict is shown.

Called on a worker thread only (checking a PIN costs a PBKDF2 round anyway). The lock counts real
seconds, not the engine's clock (which a demo or a test may speed up or stop). A lock whose end is
further away than its own length (the wall clock went back) is cut to its length, so a clock jump
never locks staff out for long.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.engine.staffing import SignInRefused

log = logging.getLogger(__name__)

FILE_NAME = "pin-lock.json"
SIGN_IN_FILE_NAME = "sign-in-lock.json"
"""The window sign-in's own lock: guessing a colleague's PIN at 签到 is stopped like the staff PIN."""


class SignInLocked(SignInRefused):
    """A sign-in refused because of the lock-out (the 工号 and PIN were not even checked), or a wrong
    工号/PIN that now locks the sign-in for a while; the message says how long."""

    code = "sign_in_locked"

    def __init__(self, message: str, lock_left: float):
        super().__init__(message)
        self.lock_left = lock_left


def lockout_seconds(failures: int) -> int:
    """2, 4, 8, 16, then 30 s after each further wrong PIN."""
    return 0 if failures <= 0 else min(30, 2**failures)


@dataclass(frozen=True)
class PinVerdict:
    ok: bool
    failures: int
    """wrong PINs in a row, this one included"""
    lock_left: float
    """seconds until the keypad takes a PIN again (0: it does now)"""


class PinGuard:
    def __init__(
        self,
        path: Path,
        check: Callable[[str], bool] = lambda _pin: False,
        now: Callable[[], float] = time.time,
    ):
        self._path = path
        self._check = check
        self._now = now
        self._lock = threading.Lock()
        self._failures, self._until = self._load()

    def _load(self) -> tuple[int, float]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            failures, until = int(data["failures"]), float(data["locked_until"])
        except FileNotFoundError:
            return 0, 0.0
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged file must not open the door: treat it as the longest lock-out.
            log.warning(
                "%s unreadable (%s): locking the PIN keypad as after many wrong PINs", self._path, exc
            )
            return 5, self._now() + lockout_seconds(5)
        return max(0, failures), until

    def _save(self) -> None:
        try:
            self._write()
        except OSError as exc:  # the lock still holds in memory; staff are not kept out by a full disk
            log.error("could not keep the PIN lock-out in %s: %s", self._path, exc)

    def _write(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump({"failures": self._failures, "locked_until": self._until}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path)
        dfd = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def _left(self) -> float:
        left = self._until - self._now()
        return max(0.0, min(left, float(lockout_seconds(self._failures))))

    def state(self) -> PinVerdict:
        """The lock as it stands (for the PIN screen when it is shown)."""
        with self._lock:
            return PinVerdict(False, self._failures, self._left())

    def attempt(self, pin: str) -> PinVerdict:
        """Check `pin` unless the keypad is locked; a wrong one is counted on disk before it returns."""
        return self.attempt_with(lambda: self._check(pin))

    def attempt_with(self, check: Callable[[], bool]) -> PinVerdict:
        """Run `check` (a PIN check that needs more than the PIN, e.g. 工号 and PIN at sign-in) unless
        the keypad is locked, counting a False on disk like a wrong PIN. An exception from `check`
        counts as nothing: it is not a wrong PIN."""
        with self._lock:
            left = self._left()
            if left > 0:
                return PinVerdict(False, self._failures, left)
            if check():
                if self._failures:
                    self._failures, self._until = 0, 0.0
                    self._save()
                return PinVerdict(True, 0, 0.0)
            self._failures += 1
            self._until = self._now() + lockout_seconds(self._failures)
            self._save()
            return PinVerdict(False, self._failures, float(lockout_seconds(self._failures)))
