"""What the attack tests use: a centre with two halls on loopback, and a kiosk client written here from
docs/centre.md (not the kiosk's sync client, not ``sync.signing``), so the tests also check that the
documented signature is the one the centre verifies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import requests
from markupsafe import escape
from sqlalchemy import func, select

from sync.centre import enrol, models
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre

DAY = date(2026, 11, 25)
HOSTILE = "<script>alert('h13')</script><img src=x onerror=alert(1)>"
"""Markup a broken or stolen kiosk might put into any text it sends."""
PAGE_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff"}


@dataclass
class Kiosk:
    """Signs like docs/centre.md says: HMAC-SHA256, hex, over
    METHOD \\n PATH?QUERY \\n TIMESTAMP (Unix seconds) \\n NONCE \\n hex(SHA-256(body))."""

    url: str
    kiosk_id: str
    hall_id: str
    key_id: str
    secret: bytes

    def signed_headers(self, method: str, target: str, body: bytes) -> dict[str, str]:
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        text = "\n".join([method, target, ts, nonce, hashlib.sha256(body).hexdigest()]).encode()
        return {
            "X-Kiosk-Id": self.kiosk_id,
            "X-Key-Id": self.key_id,
            "X-Timestamp": ts,
            "X-Nonce": nonce,
            "X-Signature": hmac.new(self.secret, text, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json",
        }

    def push_raw(self, body: bytes) -> requests.Response:
        headers = self.signed_headers("POST", "/v1/events", body)
        return requests.post(self.url + "/v1/events", data=body, headers=headers, timeout=30)

    def push(self, events: list[dict[str, Any]]) -> requests.Response:
        # surrogatepass: a lone surrogate goes out as the invalid UTF-8 a broken kiosk would send
        return self.push_raw(
            json.dumps({"events": events}, ensure_ascii=False).encode("utf-8", "surrogatepass")
        )


def exchange(url: str, kiosk_id: str, token: str) -> requests.Response:
    return requests.post(url + "/v1/enrol", json={"kiosk_id": kiosk_id, "token": token}, timeout=10)


def enrol_kiosk(c: RunningCentre, kiosk_id: str, hall_id: str, hall_name: str) -> tuple[Kiosk, str]:
    with c.engine.begin() as conn:
        token = enrol.enrol(conn, kiosk_id, hall_id, datetime.now(UTC), hall_name=hall_name)
    resp = exchange(c.url, kiosk_id, token)
    assert resp.status_code == 200, resp.text
    doc = json.loads(resp.json()["secret"])
    secret = base64.urlsafe_b64decode(doc["secret"])
    return Kiosk(c.url, kiosk_id, hall_id, doc["key_id"], secret), token


@dataclass
class Street:
    centre: RunningCentre
    ours: Kiosk
    """The attacker: a correctly enrolled kiosk of hall H01."""
    neighbour: Kiosk
    next_seq: int

    def fresh(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events renumbered after what is stored, with new event ids (so only their content counts)."""
        out = []
        for ev in events:
            ev = json.loads(json.dumps(ev))
            ev["seq"], ev["event_id"] = self.next_seq, str(uuid.uuid4())
            self.next_seq += 1
            out.append(ev)
        return out


def open_street(c: RunningCentre) -> Street:
    ours, _ = enrol_kiosk(c, "K01", "H01", "柏杨社区")
    neighbour, _ = enrol_kiosk(c, "K02", "H02", "城中社区")
    for k, seed in ((ours, 1), (neighbour, 2)):
        day = hall_day(k.hall_id, k.kiosk_id, DAY, tickets=12, windows=3, seed=seed)
        resp = k.push(day)
        assert resp.status_code == 200, resp.text
    return Street(c, ours, neighbour, len(hall_day("H01", "K01", DAY, tickets=12, windows=3, seed=1)) + 1)


def stored(c: RunningCentre) -> tuple[Any, ...]:
    """Everything an ingest can change: row counts, every snapshot, the kiosks' cursors and keys."""
    with c.engine.connect() as conn:
        counts = tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (models.Event, models.Ticket, models.Handling, models.Rating, models.Followup,
                      models.WindowState, models.DayClose, models.IgnoredPress, models.KioskKeyRow)
        )  # fmt: skip
        snaps = tuple(
            json.dumps(r[0], sort_keys=True)
            for t in (models.Ticket, models.Handling, models.Rating, models.Followup)
            for r in conn.execute(select(t.data).order_by(t.hall_id, t.id))
        )
        cursors = tuple(
            conn.execute(
                select(models.Kiosk.kiosk_id, models.Kiosk.acked_seq).order_by(models.Kiosk.kiosk_id)
            )
        )
    return counts, snaps, cursors


def pages(c: RunningCentre, staff: bool = True) -> dict[str, requests.Response]:
    """Every summary page of the night (street, each hall, both CSVs), as read-only and as logged-in staff."""
    out = {}
    paths = [f"/summary/{DAY}", f"/summary/{DAY}/hall/H01", f"/summary/{DAY}/hall/H02"]
    for p in paths:
        out[p] = requests.get(c.url + p, timeout=60)
        if staff:
            out[p + " (staff)"] = requests.get(c.url + p, headers={"X-Remote-User": "wangfang"}, timeout=60)
    for p in (f"/summary/{DAY}.csv", f"/summary/{DAY}/followups.csv"):
        out[p] = requests.get(c.url + p, timeout=60)
    return out


def assert_pages_hold(c: RunningCentre, hostile: str = HOSTILE, shown: bool = False) -> dict[str, str]:
    """Every page answers 200 with the security headers; the hostile string never appears as markup,
    and, when ``shown``, it does appear escaped on some page."""
    texts = {}
    for path, resp in pages(c).items():
        assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
        if path.endswith(".csv"):
            texts[path] = resp.text
            continue
        for name, value in PAGE_HEADERS.items():
            assert resp.headers.get(name) == value, (path, name)
        csp = resp.headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert hostile not in resp.text, path
        assert "<script" not in resp.text, path
        texts[path] = resp.text
    if shown:
        assert any(str(escape(hostile)) in t for p, t in texts.items() if not p.endswith(".csv"))
    return texts


def first_with(events: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(e for e in events if e["payload"].get(key))


def sample(street: Street, tickets: int = 3, seed: int = 9) -> list[dict[str, Any]]:
    """A few more events of the attacker's own hall and day, numbered after what is stored."""
    return street.fresh(hall_day("H01", "K01", DAY, tickets=tickets, windows=3, seed=seed, close=False))


def name_a_service(events: list[dict[str, Any]], name: str) -> None:
    """Give the events' tickets a service of their own (so its name is theirs alone) called ``name``."""
    for ev in events:
        for snap in ev["payload"].values():
            for s in snap if isinstance(snap, list) else [snap]:
                if isinstance(s, dict) and "service_code" in s:
                    s["service_code"] = "zz_hostile"
        if ev["payload"].get("ticket"):
            ev["payload"]["ticket"]["service_name"] = name
