"""Sync settings, embedded in the hall configuration under ``sync:``.

A broken or disabled ``sync:`` section turns sync off; it never stops the kiosk from issuing tickets.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    """Send the outbox to the street centre. Off: the kiosk works alone and keeps everything."""

    centre_url: str = ""
    """Base URL of the street centre, e.g. ``https://centre.baiyang.example``. Plain http is refused
    except to a loopback address (tests, or a local tunnel)."""

    kiosk_id: str = ""
    """This kiosk's id as enrolled at the centre (``street-centre enrol --kiosk …``)."""

    hall_id: str = ""
    """The hall this kiosk belongs to; the centre refuses events for any other hall."""

    key_file: Path = Path("var/sync-key.json")
    """Where the kiosk key obtained at enrolment is kept (owner-readable only)."""

    interval_minutes: float = Field(10, gt=0, le=24 * 60)
    """How often to push while the hall is open."""

    batch_size: int = Field(500, ge=1, le=1000)
    """Events per request; halved automatically if the centre says the body is too large."""

    connect_timeout: float = Field(5, gt=0)
    """Seconds to wait for the TCP/TLS connection."""

    timeout: float = Field(30, gt=0)
    """Seconds to wait for the centre's answer to one request."""

    retries: int = Field(5, ge=0, le=20)
    """Retries of one request (connection errors, timeouts, 429, 5xx) before the run gives up."""

    backoff_factor: float = Field(1.0, ge=0)
    """Exponential backoff base in seconds between retries (1, 2, 4, … plus jitter)."""

    backoff_max: float = Field(60, gt=0)
    """Longest wait between two retries."""

    backoff_jitter: float = Field(1.0, ge=0)
    """Random seconds added to each backoff so that halls do not retry in lockstep."""

    ca_bundle: Path | None = None
    """PEM file of the CA that signed the centre's certificate (the street's own CA). None: system CAs."""

    nightly_jitter_minutes: float = Field(20, ge=0, le=180)
    """The push after the nightly close waits a random 0…N minutes, so 200 halls do not all arrive at once."""

    pull_config: bool = True
    """Also fetch published configuration (catalogue, guides, holiday calendar) on each run."""

    @model_validator(mode="after")
    def _check(self) -> SyncSettings:
        if not self.enabled:
            return self
        missing = [n for n in ("centre_url", "kiosk_id", "hall_id") if not getattr(self, n)]
        if missing:
            raise ValueError(f"sync is enabled but {', '.join(missing)} is empty")
        parts = urlsplit(self.centre_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"centre_url {self.centre_url!r} is not an http(s) URL")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("centre_url must use https (http is only allowed to a loopback address)")
        return self

    @property
    def base_url(self) -> str:
        return self.centre_url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
