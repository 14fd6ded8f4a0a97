"""Kiosk credentials: one-time enrolment tokens exchanged for a per-kiosk key; rotation; revocation.

The token is shown once to the person installing the kiosk and only its SHA-256 is stored. Exchanging it
creates a new key and revokes the kiosk's older keys, so ``rotate`` is "issue a fresh token and let the
kiosk exchange it". ``revoke`` stops a kiosk at once (stolen or retired device).

The exchange is safe to repeat for a short while: if the reply carrying the key is lost (a slow link
times out, a connection resets), the kiosk asks again with the same token and gets the same key, as
long as that key has signed nothing yet and `RETRY_WINDOW` has not passed. Without that, a lost reply
left the kiosk with a spent token and staff had to issue a new one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sync import signing
from sync.centre import models
from sync.centre.security import as_utc

RETRY_WINDOW = timedelta(minutes=10)
REFUSED = "token unknown, used, expired or for another kiosk"  # one answer: it tells a guesser nothing


class EnrolError(Exception):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(conn: Connection, kiosk_id: str, now: datetime, hours: int) -> str:
    token = secrets.token_urlsafe(24)
    conn.execute(
        update(models.EnrolToken)
        .where(models.EnrolToken.kiosk_id == kiosk_id, models.EnrolToken.used_at.is_(None))
        .values(used_at=now)  # only the newest token is usable
    )
    conn.execute(
        insert(models.EnrolToken).values(
            token_hash=_hash(token),
            kiosk_id=kiosk_id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token


def enrol(
    conn: Connection,
    kiosk_id: str,
    hall_id: str,
    now: datetime,
    hours: int = 72,
    hall_name: str | None = None,
) -> str:
    """Register (or re-admit) a kiosk for a hall and return its one-time token."""
    kiosk = conn.execute(select(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id)).one_or_none()
    if kiosk is None:
        conn.execute(
            insert(models.Kiosk).values(
                kiosk_id=kiosk_id,
                hall_id=hall_id,
                hall_name=hall_name,
                status="active",
                acked_seq=0,
                created_at=now,
            )
        )
    elif kiosk.hall_id != hall_id:
        raise EnrolError(f"kiosk {kiosk_id} belongs to hall {kiosk.hall_id}, not {hall_id}")
    else:
        values: dict[str, object] = {"status": "active", "revoked_at": None}
        if hall_name:
            values["hall_name"] = hall_name
        conn.execute(update(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id).values(**values))
    return _new_token(conn, kiosk_id, now, hours)


def rotate(conn: Connection, kiosk_id: str, now: datetime, hours: int = 72) -> str:
    """A fresh token for an active kiosk; its current key keeps working until the token is exchanged."""
    kiosk = conn.execute(select(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id)).one_or_none()
    if kiosk is None or kiosk.status != "active":
        raise EnrolError(f"kiosk {kiosk_id} is not enrolled or is revoked (use enrol)")
    return _new_token(conn, kiosk_id, now, hours)


def revoke(conn: Connection, kiosk_id: str, now: datetime) -> None:
    if conn.execute(select(models.Kiosk.kiosk_id).where(models.Kiosk.kiosk_id == kiosk_id)).first() is None:
        raise EnrolError(f"kiosk {kiosk_id} is not enrolled")
    conn.execute(
        update(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id).values(status="revoked", revoked_at=now)
    )
    conn.execute(
        update(models.KioskKeyRow)
        .where(models.KioskKeyRow.kiosk_id == kiosk_id, models.KioskKeyRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    conn.execute(
        update(models.EnrolToken)
        .where(models.EnrolToken.kiosk_id == kiosk_id, models.EnrolToken.used_at.is_(None))
        .values(used_at=now)
    )


def exchange(conn: Connection, kiosk_id: str, token: str, now: datetime) -> signing.KioskKey:
    """Trade a one-time token for a new kiosk key (the only time the secret leaves the centre)."""
    row = conn.execute(
        select(models.EnrolToken).where(models.EnrolToken.token_hash == _hash(token)).with_for_update()
    ).one_or_none()
    if row is None or row.kiosk_id != kiosk_id:
        raise EnrolError(REFUSED)
    kiosk = conn.execute(select(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id)).one()
    if kiosk.status != "active":
        raise EnrolError("kiosk has been revoked")
    if row.used_at is not None:
        return _same_key_again(conn, row, kiosk, now)
    if as_utc(row.expires_at) < now:
        raise EnrolError(REFUSED)
    conn.execute(
        update(models.KioskKeyRow)
        .where(models.KioskKeyRow.kiosk_id == kiosk_id, models.KioskKeyRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    secret = signing.new_secret()
    key_id = "k-" + secrets.token_hex(8)
    conn.execute(
        insert(models.KioskKeyRow).values(
            key_id=key_id, kiosk_id=kiosk_id, secret=signing.encode_secret(secret), created_at=now
        )
    )
    conn.execute(
        update(models.EnrolToken)
        .where(models.EnrolToken.token_hash == row.token_hash)
        .values(used_at=now, key_id=key_id)
    )
    return signing.KioskKey(kiosk_id=kiosk_id, hall_id=kiosk.hall_id, key_id=key_id, secret=secret)


def _same_key_again(conn: Connection, row: Any, kiosk: Any, now: datetime) -> signing.KioskKey:
    """A spent token asked again: the same key, only if the kiosk cannot have received it yet."""
    used_at = as_utc(row.used_at)
    seen = kiosk.last_seen_at is not None and as_utc(kiosk.last_seen_at) >= used_at
    if row.key_id is None or seen or now - used_at > RETRY_WINDOW:
        raise EnrolError(REFUSED)
    key = conn.execute(
        select(models.KioskKeyRow).where(
            models.KioskKeyRow.key_id == row.key_id, models.KioskKeyRow.revoked_at.is_(None)
        )
    ).one_or_none()
    if key is None:  # revoked or replaced since
        raise EnrolError(REFUSED)
    return signing.KioskKey(
        kiosk_id=kiosk.kiosk_id,
        hall_id=kiosk.hall_id,
        key_id=key.key_id,
        secret=signing.decode_secret(key.secret),
    )
