"""Request signing shared by the kiosk's sync client and the street centre.

Every request a kiosk sends carries four headers and is signed with HMAC-SHA256 over a canonical
string, so the centre can tell *which kiosk* sent it, that nobody changed it on the way, and that it is
not a recording of an earlier request played again:

    METHOD \\n PATH?QUERY \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))

The timestamp is Unix seconds (by the kiosk's clock corrected with the offset it learnt from the
centre); the nonce is 128 random bits, used once. The key is a per-kiosk secret issued by
``street-centre enrol`` and stored on the kiosk in a 0600 key file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

HEADER_KIOSK = "X-Kiosk-Id"
HEADER_KEY_ID = "X-Key-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
#: The centre answers every request with its own clock, so a kiosk whose clock drifted can correct.
HEADER_SERVER_TIME = "X-Server-Time"


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The exact bytes that are signed. ``target`` is the path plus ``?query`` when there is one."""
    return "\n".join((method.upper(), target, timestamp, nonce, body_hash(body))).encode("utf-8")


def sign(secret: bytes, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret, canonical_string(method, target, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


def verify(
    secret: bytes, signature: str, method: str, target: str, timestamp: str, nonce: str, body: bytes
) -> bool:
    expected = sign(secret, method, target, timestamp, nonce, body)
    return hmac.compare_digest(expected, signature.strip().lower())


def new_nonce() -> str:
    return secrets.token_hex(16)


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def encode_secret(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).decode("ascii")


def decode_secret(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


@dataclass(frozen=True)
class KioskKey:
    """What a kiosk keeps in its key file after enrolment."""

    kiosk_id: str
    hall_id: str
    key_id: str
    secret: bytes

    def headers(self, method: str, target: str, body: bytes, timestamp: int) -> dict[str, str]:
        ts = str(int(timestamp))
        nonce = new_nonce()
        return {
            HEADER_KIOSK: self.kiosk_id,
            HEADER_KEY_ID: self.key_id,
            HEADER_TIMESTAMP: ts,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: sign(self.secret, method, target, ts, nonce, body),
        }

    def to_json(self) -> str:
        return json.dumps(
            {
                "kiosk_id": self.kiosk_id,
                "hall_id": self.hall_id,
                "key_id": self.key_id,
                "secret": encode_secret(self.secret),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> KioskKey:
        data = json.loads(text)
        return cls(data["kiosk_id"], data["hall_id"], data["key_id"], decode_secret(data["secret"]))

    @classmethod
    def load(cls, path: Path) -> KioskKey:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def save(self, path: Path) -> None:
        """Write the key file readable by its owner only; atomically, so a power cut never half-writes it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
