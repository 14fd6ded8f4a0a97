"""TLS: the kiosk trusts the centre through the street's own CA (``ca_bundle``) and nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
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
from tests.sync_support import ThreadServer

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


ROOT = Path(__file__).resolve().parents[2]


def street_ca(d: Path) -> tuple[Path, Path, Path]:
    """The recipe docs/centre.md gives streets (deploy/street-ca.sh), for the centre at 127.0.0.1."""
    subprocess.run(
        [str(ROOT / "deploy" / "street-ca.sh"), str(d), "127.0.0.1"], check=True, capture_output=True
    )
    return d / "street-ca.pem", d / "centre.crt", d / "centre.key"


def one_liner_ca(d: Path) -> tuple[Path, Path, Path]:
    """The common openssl one-liners: the server certificate has no Authority Key Identifier (what
    3.13 refuses)."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Street test CA")  # fmt: skip
    run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext")  # fmt: skip
    return d / "ca.pem", d / "server.pem", d / "server.key"


def push_to(tmp_path: Path, kiosk: Database, ca: Path, cert: Path, key: Path, trust: Path | None) -> int:
    engine = make_engine(f"sqlite:///{tmp_path}/centre.db")
    app = create_app(CentreSettings(database_url=f"sqlite:///{tmp_path}/centre.db"), engine)
    try:
        # The readiness probe does not verify: whether the kiosk trusts the certificate is the question.
        with ThreadServer(app, ssl_certfile=str(cert), ssl_keyfile=str(key), ca=False) as server:
            assert server.url.startswith("https://")
            with engine.begin() as conn:
                token = enrol.enrol(conn, "K01", "H01", datetime.now(UTC))
            base = {
                "enabled": True,
                "centre_url": server.url,
                "kiosk_id": "K01",
                "hall_id": "H01",
                "retries": 0,
            }
            # Enrol through the CA the server really has, then push with the trust under test.
            enrol_kiosk(SyncSettings(**base, key_file=tmp_path / "k.key", ca_bundle=ca), token)
            settings = SyncSettings(**base, key_file=tmp_path / "k.key", ca_bundle=trust)
            source = KioskOutboxSource(kiosk)
            report = Pusher(
                source, SignedClient(settings, signing.KioskKey.load(settings.key_file))
            ).push_all()
            assert report.acked_seq == source.last_seq()
            return report.acked_seq
    finally:
        engine.dispose()


def test_push_over_tls_with_the_streets_ca(tmp_path: Path, filled_kiosk: Database) -> None:
    ca, cert, key = street_ca(tmp_path)
    assert push_to(tmp_path, filled_kiosk, ca, cert, key, trust=ca) > 0


def test_without_the_streets_ca_nothing_is_sent_and_the_x509_reason_is_named(
    tmp_path: Path, filled_kiosk: Database
) -> None:
    ca, cert, key = street_ca(tmp_path)
    with pytest.raises(SyncError) as err:
        push_to(tmp_path, filled_kiosk, ca, cert, key, trust=None)  # the system's CAs only
    assert err.value.code == "tls"
    assert "X.509 unable to get local issuer certificate" in err.value.message, err.value.message
    assert "sync.ca_bundle" in err.value.message


def test_a_one_liner_ca_is_refused_by_3_13_with_the_reason(tmp_path: Path, filled_kiosk: Database) -> None:
    """Python 3.13's ssl checks X.509 strictly (VERIFY_X509_STRICT): a CA without key identifiers is
    refused, and the kiosk says which rule failed. Up to 3.12 the same CA is accepted."""
    ca, cert, key = one_liner_ca(tmp_path)
    if sys.version_info < (3, 13):
        assert push_to(tmp_path, filled_kiosk, ca, cert, key, trust=ca) > 0
        return
    with pytest.raises(SyncError) as err:
        push_to(tmp_path, filled_kiosk, ca, cert, key, trust=ca)
    message = err.value.message
    assert err.value.code == "tls" and "X.509" in message, message
    assert any(r in message for r in ("Missing Authority Key Identifier", "key usage")), message
    assert "deploy/street-ca.sh" in message


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(ValidationError, match="https"):
        SyncSettings(enabled=True, centre_url="http://centre.example", kiosk_id="K", hall_id="H")
    SyncSettings(enabled=True, centre_url="http://127.0.0.1:8600", kiosk_id="K", hall_id="H")
    with pytest.raises(ValidationError, match="kiosk_id"):
        SyncSettings(enabled=True, centre_url="https://centre.example", hall_id="H")
    assert SyncSettings().enabled is False  # an empty section means no sync, not an error
