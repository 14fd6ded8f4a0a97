"""Settings of the street centre server, read from the environment (``CENTRE_*``) or given in code."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

DEFAULT_DATABASE_URL = "sqlite:///street-centre.db"


class CentreSettings(BaseModel):
    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL. SQLite (a file) for a small street; ``postgresql+psycopg://…`` in production."""

    db_schema: str | None = None
    """PostgreSQL schema to keep the centre's tables in (created when missing). None: the default."""

    timestamp_window_seconds: int = Field(300, ge=10)
    """A signed request whose timestamp is further than this from the centre's clock is refused."""

    max_body_bytes: int = Field(2_000_000, ge=1024)
    """Largest request body accepted; larger ones are answered 413 before they are read in full."""

    max_batch_events: int = Field(1000, ge=1)
    """Most events accepted in one push."""

    max_concurrent_requests: int = Field(8, ge=1)
    """Signed requests handled at once; more are answered 429 with Retry-After (the nightly rush)."""

    retry_after_seconds: int = Field(5, ge=1)
    """What the 429 answer tells the kiosk to wait."""

    enrol_token_hours: int = Field(72, ge=1)
    """How long a one-time enrolment token stays valid."""

    staff_user_header: str = "X-Remote-User"
    """The header in which the reverse proxy passes the staff member it authenticated (nginx:
    ``proxy_set_header X-Remote-User $remote_user``). With it, the summary pages offer a form to record
    回访 and 整改 results under that name; without it they are read-only. Trusted only because the
    centre listens behind the proxy, which sets or clears it on every request (docs/centre.md)."""

    trusted_proxies: str = "127.0.0.1,::1"
    """Comma-separated addresses of the reverse proxy. Only on a request whose TCP peer is one of them are
    the staff header (X-Remote-User) and X-Forwarded-For believed; from anywhere else they are ignored.
    Keep the centre listening on 127.0.0.1 (or a socket) so that only the proxy can reach it."""

    enrol_attempts_per_minute: int = Field(10, ge=1)
    """``/v1/enrol`` requests accepted per client address and minute; more get 429 (token guessing)."""

    figures_refresh_seconds: float = Field(10.0, ge=0)
    """How often the server recomputes the stored figures of hall-days that pushes changed during the
    day (0: only when a page needs them; a page recomputes a marked day it shows)."""

    alert_printer_minutes: float = Field(10, ge=0)
    """实时/设备 alerts: a printer fault lasting longer than this in opening hours."""
    alert_unheard_minutes: float = Field(30, ge=1)
    """A kiosk not heard from for this long in opening hours (it sends a heartbeat every 5 minutes)."""
    alert_close_by: str = Field("08:00", pattern=r"^\d{2}:\d{2}$")
    """Yesterday not closed (日结) by this local time."""
    alert_skew_seconds: float = Field(120, ge=1)
    """A kiosk clock further off than this."""
    alert_disk_mb: int = Field(1024, ge=0)
    """Less disk free than this on a kiosk."""

    fault_injection: bool = False
    """Tests only: honour the ``X-Test-Fault`` header (500, sleep, reset). Never enable in production."""

    @property
    def proxies(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())

    @classmethod
    def from_env(cls, **overrides: object) -> CentreSettings:
        values: dict[str, object] = {}
        for name in cls.model_fields:
            env = os.environ.get("CENTRE_" + name.upper())
            if env is not None:
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
