"""Staff PIN hashing: the config stores only a salted PBKDF2 hash, never the PIN."""

from __future__ import annotations

import hashlib
import hmac
import os

from kiosk.config.schema import PIN_HASH_RE

_ITERATIONS = 200_000


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("a staff PIN is 4 to 12 digits")
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    match = PIN_HASH_RE.match(stored)
    if not match:
        return False
    iterations, salt, expected = int(match[1]), bytes.fromhex(match[2]), match[3]
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return hmac.compare_digest(digest.hex(), expected)
