"""TLS: the kiosk trusts the centre through the street's own CA (``ca_bundle``) and nothing else."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.db.database import Database
from sync import signing
from sync.centre import enrol
from sync.centre.app import create_app
from sync.centre.db import make_engine
from sync.centre.settings import CentreSettings
from sync.client.enrolment import enrol_kiosk
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient, SyncError
from sync.client.settings import SyncSettings
from sync.testing import ThreadServer

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def make_ca_and_server_cert(d: Path) -> tuple[Path, Path, Path]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Street test CA")  # fmt: skip
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext")  # fmt: skip
    return d / "ca.pem", d / "server.pem", d / "server.key"


def test_push_over_tls_with_the_streets_ca(tmp_path: Path, filled_kiosk: Database) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    engine = make_engine(f"sqlite:///{tmp_path}/centre.db")
    app = create_app(CentreSettings(database_url=f"sqlite:///{tmp_path}/centre.db"), engine)
    with ThreadServer(app, ssl_certfile=str(cert), ssl_keyfile=str(key), ca=str(ca)) as server:
        assert server.url.startswith("https://")
        with engine.begin() as conn:
            token = enrol.enrol(conn, "K01", "H01", datetime.now(UTC))
        base = {"enabled": True, "centre_url": server.url, "kiosk_id": "K01", "hall_id": "H01", "retries": 0}
        trusting = SyncSettings(**base, key_file=tmp_path / "k.key", ca_bundle=ca)
        enrol_kiosk(trusting, token)
        source = KioskOutboxSource(filled_kiosk)
        report = Pusher(source, SignedClient(trusting, signing.KioskKey.load(trusting.key_file))).push_all()
        assert report.acked_seq == source.last_seq()
        # without the street's CA the same centre is not trusted, and nothing is sent in clear
        stranger = SyncSettings(**base, key_file=tmp_path / "k.key")
        with pytest.raises(SyncError) as err:
            Pusher(source, SignedClient(stranger, signing.KioskKey.load(stranger.key_file))).push_all()
        assert err.value.code in ("tls", "unreachable")
    engine.dispose()


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(ValidationError, match="https"):
        SyncSettings(enabled=True, centre_url="http://centre.example", kiosk_id="K", hall_id="H")
    SyncSettings(enabled=True, centre_url="http://127.0.0.1:8600", kiosk_id="K", hall_id="H")
    with pytest.raises(ValidationError, match="kiosk_id"):
        SyncSettings(enabled=True, centre_url="https://centre.example", hall_id="H")
    assert SyncSettings().enabled is False  # an empty section means no sync, not an error
