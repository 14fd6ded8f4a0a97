"""Test harness (not shipped; also used by scripts/ and bench/): a real centre on a loopback port (in a thread or a
subprocess that can be killed and restarted on the same database), and a TCP proxy that injects
connection resets and silences between a kiosk and the centre."""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from kiosk.sim.procs import free_port, wait_healthy
from sync.centre import enrol
from sync.centre.settings import CentreSettings
from sync.client.enrolment import enrol_kiosk
from sync.client.settings import SyncSettings


class ThreadServer:
    """uvicorn serving an ASGI app on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None, **tls: Any) -> None:
        """``tls``: uvicorn's ``ssl_certfile`` and ``ssl_keyfile`` to serve HTTPS, plus ``ca`` to check it."""
        import uvicorn

        self.port = port or free_port()
        self.ca = tls.pop("ca", True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            proxy_headers=False,  # as `street-centre serve`: the centre reads X-Forwarded-For itself
            **tls,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="centre-test-server", daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        wait_healthy(self.url, verify=self.ca)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class ProcessServer:
    """``street-centre serve`` in a subprocess; ``kill()`` is a SIGKILL (power cut), ``start()`` again."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "sync.centre.cli", "--database-url", self.database_url]
        cmd += ["serve", "--port", str(self.port), "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, env=self.env)
        wait_healthy(self.url)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def __enter__(self) -> ProcessServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


class FaultProxy:
    """A loopback TCP proxy in front of the centre. Queue faults with :meth:`add`; each applies once, to
    the next HTTP request that starts on any connection:

    - ``reset_before``: the request never reaches the centre; the kiosk gets a TCP reset.
    - ``reset_after``: the centre gets and handles the request; the kiosk gets a reset instead of the answer.
    - ``silence``: the request is swallowed and nothing ever comes back (the kiosk's read timeout fires).
    """

    _METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ")

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: list[str] = []
        self.applied: list[str] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()

    def add(self, *faults: str) -> None:
        with self._lock:
            self.faults.extend(faults)

    def close(self) -> None:
        self._closed = True
        self.listener.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take(self) -> str | None:
        with self._lock:
            if not self.faults:
                return None
            fault = self.faults.pop(0)
            self.applied.append(fault)
            return fault

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            self._reset(client)
            return
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, "c")
        sel.register(upstream, selectors.EVENT_READ, "u")
        mode: str | None = None
        try:
            while True:
                for key, _ in sel.select(timeout=60):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = sock.recv(65536)
                    if not data:
                        return
                    if key.data == "c":
                        if data.startswith(self._METHODS) and mode is None:
                            mode = self._take()
                            if mode == "reset_before":
                                return self._reset(client)
                        if mode != "silence":
                            upstream.sendall(data)
                    else:
                        if mode == "reset_after":
                            return self._reset(client)
                        if mode == "silence":
                            continue
                        client.sendall(data)
                        mode = None
        except OSError:
            return
        finally:
            sel.close()
            upstream.close()
            with contextlib.suppress(OSError):
                client.close()


# ---- a centre with a database, for tests and demos -------------------------------------------------


@contextlib.contextmanager
def scratch_database(sqlite_dir: str, postgres_url: str | None = None) -> Iterator[tuple[str, str | None]]:
    """A fresh database: a SQLite file in ``sqlite_dir``, or a fresh schema in PostgreSQL (dropped after)."""
    if postgres_url is None:
        yield f"sqlite:///{sqlite_dir}/centre.db", None
        return
    from sqlalchemy import create_engine, text

    schema = "t_" + uuid.uuid4().hex[:12]
    try:
        yield postgres_url, schema
    finally:
        engine = create_engine(postgres_url)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@dataclass
class RunningCentre:
    settings: CentreSettings
    engine: Engine
    guard: Any
    url: str

    def faults(self, *faults: dict[str, Any]) -> dict[str, Any]:
        """Queue server-side faults (needs ``fault_injection``); returns the pending and used lists."""
        result: dict[str, Any] = requests.post(
            self.url + "/_test/faults", json=list(faults), timeout=5
        ).json()
        return result

    def enrol(
        self, kiosk_id: str, hall_id: str, key_dir: str, hall_name: str | None = None, **sync: Any
    ) -> SyncSettings:
        """Enrol a kiosk the way staff do (token at the centre, exchanged by the kiosk over HTTP)."""
        with self.engine.begin() as conn:
            token = enrol.enrol(conn, kiosk_id, hall_id, datetime.now(UTC), hall_name=hall_name)
        settings = SyncSettings(
            enabled=True,
            centre_url=sync.pop("centre_url", self.url),
            kiosk_id=kiosk_id,
            hall_id=hall_id,
            key_file=Path(key_dir) / f"{kiosk_id}.key",
            **sync,
        )
        # Enrolment is one exchange, done once by staff. The tight timeouts some tests set are for
        # pushing under faults, not for this.
        enrol_kiosk(settings.model_copy(update={"timeout": 10.0, "connect_timeout": 5.0}), token)
        return settings


@contextlib.contextmanager
def running_centre(database_url: str, schema: str | None = None, **overrides: Any) -> Iterator[RunningCentre]:
    from sync.centre.app import create_app
    from sync.centre.db import make_engine

    settings = CentreSettings(database_url=database_url, db_schema=schema, **overrides)
    engine = make_engine(database_url, schema)
    guard = create_app(settings, engine)
    with ThreadServer(guard) as server:
        yield RunningCentre(settings, engine, guard, server.url)
    engine.dispose()


def fill_outbox(db: Any, events: list[dict[str, Any]]) -> None:
    """Write simulated events into a real kiosk database's outbox (through its writer thread)."""
    from kiosk.db import models as m

    def write(session: Any) -> None:
        for ev in events:
            session.add(
                m.OutboxEvent(
                    seq=ev["seq"],
                    event_id=ev["event_id"],
                    kiosk_id=ev["kiosk_id"],
                    hall_id=ev["hall_id"],
                    type=ev["type"],
                    occurred_at=datetime.fromisoformat(ev["occurred_at"]),
                    business_date=date.fromisoformat(ev["business_date"]),
                    payload=ev["payload"],
                )
            )

    db.run(write)


def centre_events(engine: Engine, kiosk_id: str) -> list[tuple[int, str, str, Any]]:
    """(seq, event id, type, payload) of every event the centre holds for a kiosk, in seq order."""
    from sqlalchemy import select

    from sync.centre import models

    with engine.connect() as conn:
        rows = conn.execute(
            select(models.Event.seq, models.Event.event_id, models.Event.type, models.Event.payload)
            .where(models.Event.kiosk_id == kiosk_id)
            .order_by(models.Event.seq)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]
