"""``street-centre``'s administration commands, as staff type them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.centre import cli, models
from sync.centre.db import make_engine


def run(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str]:
    code = cli.main(["--database-url", db, *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_enrol_rotate_revoke_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path}/c.db"
    code, out = run(capsys, db, "enrol", "--kiosk", "K01", "--hall", "H01", "--hall-name", "柏杨社区")
    token = out.strip().splitlines()[-1]  # the token is the last line, alone
    assert code == 0 and len(token) >= 24 and " " not in token
    code, out = run(capsys, db, "enrol", "--kiosk", "K01", "--hall", "H02")
    assert code == 2 and "belongs to hall H01" in out  # a kiosk never moves to another hall silently
    code, out = run(capsys, db, "rotate", "--kiosk", "K01")
    assert code == 0 and out.strip().splitlines()[-1] != token
    assert run(capsys, db, "rotate", "--kiosk", "K99")[0] == 2
    code, out = run(capsys, db, "kiosks")
    assert code == 0 and "K01" in out and "hall=H01" in out and "active" in out
    assert run(capsys, db, "revoke", "--kiosk", "K01")[0] == 0
    assert "revoked" in run(capsys, db, "kiosks")[1]
    assert run(capsys, db, "rotate", "--kiosk", "K01")[0] == 2  # revoked: enrol again, not rotate
    engine = make_engine(db)
    with engine.connect() as conn:
        tokens = conn.execute(select(models.EnrolToken.used_at)).scalars().all()
    assert all(t is not None for t in tokens)  # revoking spent every outstanding token
    engine.dispose()


def test_publish_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path}/c.db"
    doc = tmp_path / "holidays.json"
    doc.write_text(json.dumps({"2027": {"off": ["2027-01-01"], "work": []}}), encoding="utf-8")
    code, out = run(capsys, db, "publish-config", "--kind", "holidays", "--file", str(doc))
    assert code == 0 and "version 1" in out and "all halls" in out
    code, out = run(capsys, db, "publish-config", "--kind", "guides", "--file", str(doc), "--hall", "H01")
    assert code == 0 and "version 2" in out and "hall H01" in out


def test_serve_refuses_workers_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, f"sqlite:///{tmp_path}/c.db", "serve", "--workers", "2")
    assert code == 2 and "PostgreSQL" in out
