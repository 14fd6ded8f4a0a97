"""Authenticating a kiosk's signed request (see ``sync.signing`` for the canonical string).

Checks, in order, each refusal a 4xx with a stable code: headers present; timestamp within the window of
the centre's clock; kiosk known, key belongs to it and HMAC matches (one answer for all three,
``bad_credentials``); kiosk not revoked; key live; nonce not seen before. The nonce is stored in the same transaction as the work the request does, so a request that
failed half-way (a 500) may be retried as is, while a request that succeeded can never be played again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from sync import signing
from sync.centre import models
from sync.centre.ingest import KioskRef
from sync.centre.materialise import _insert

_DUMMY_SECRET = bytes(32)
_BAD_CREDENTIALS = "kiosk, key or signature not accepted (re-enrol the kiosk if its key was replaced)"


class AuthError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass
class Authenticated(KioskRef):
    key_id: str
    timestamp: int


def as_utc(dt: datetime) -> datetime:
    """SQLite hands timestamps back naive; everything the centre stores is UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def authenticate(
    conn: Connection,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    window_seconds: int,
) -> Authenticated:
    kiosk_id = headers.get(signing.HEADER_KIOSK)
    key_id = headers.get(signing.HEADER_KEY_ID)
    ts = headers.get(signing.HEADER_TIMESTAMP)
    nonce = headers.get(signing.HEADER_NONCE)
    sig = headers.get(signing.HEADER_SIGNATURE)
    if not (kiosk_id and key_id and ts and nonce and sig):
        raise AuthError(401, "unsigned", "request is not signed")
    if not (8 <= len(nonce) <= 64) or len(sig) > 128 or len(kiosk_id) > 64 or len(key_id) > 64:
        raise AuthError(400, "malformed_auth", "malformed signature headers")
    try:
        ts_int = int(ts)
    except ValueError as exc:
        raise AuthError(400, "malformed_auth", "timestamp is not Unix seconds") from exc
    if abs(now.timestamp() - ts_int) > window_seconds:
        raise AuthError(
            401, "stale_timestamp", "timestamp outside the accepted window; check the server time"
        )
    kiosk = conn.execute(select(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id)).one_or_none()
    key = conn.execute(
        select(models.KioskKeyRow).where(
            models.KioskKeyRow.key_id == key_id, models.KioskKeyRow.kiosk_id == kiosk_id
        )
    ).one_or_none()
    # An unknown kiosk, an unknown key and a wrong signature get one answer, after the same work, so the
    # centre never tells a guesser which kiosk ids are enrolled. Only a correctly signed request learns
    # that its kiosk was revoked.
    secret = signing.decode_secret(key.secret) if key is not None and kiosk is not None else _DUMMY_SECRET
    if not signing.verify(secret, sig, method, target, ts, nonce, body) or key is None or kiosk is None:
        raise AuthError(401, "bad_credentials", _BAD_CREDENTIALS)
    if kiosk.status != "active":
        raise AuthError(403, "revoked", "kiosk has been revoked")
    if key.revoked_at is not None:
        raise AuthError(401, "bad_credentials", _BAD_CREDENTIALS)
    # Forget nonces that fell out of the window: a request that old is refused by its timestamp anyway.
    cutoff = now - timedelta(seconds=2 * window_seconds)
    conn.execute(delete(models.Nonce).where(models.Nonce.kiosk_id == kiosk_id, models.Nonce.seen_at < cutoff))
    table = models.Nonce.__table__
    # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING
    stmt = _insert(conn, table).on_conflict_do_nothing().returning(table.c.nonce)
    if conn.execute(stmt, {"kiosk_id": kiosk_id, "nonce": nonce, "seen_at": now}).first() is None:
        raise AuthError(401, "replay", "nonce already used")
    conn.execute(update(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id).values(last_seen_at=now))
    return Authenticated(kiosk_id=kiosk_id, hall_id=kiosk.hall_id, key_id=key_id, timestamp=ts_int)


def record_skew(conn: Connection, kiosk_id: str, device_time: str | None, now: datetime) -> float | None:
    """Store how far the kiosk's own clock is from the centre's (positive: kiosk is behind)."""
    if not device_time:
        return None
    try:
        dev = as_utc(datetime.fromisoformat(device_time.replace("Z", "+00:00")))
    except ValueError:
        return None
    skew = round((now - dev).total_seconds(), 3)
    conn.execute(update(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id).values(last_skew_seconds=skew))
    return skew
