"""The kiosk's file corrupt, locked by another process, or on a full disk at start-up: the start fails
with a message for staff naming the file, the fault and what to do (the 暂停服务 screen shows it), and
the file is left as it was."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.db.database import Database, DatabaseUnavailable


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_corrupt_file_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    path.write_bytes(b"\x00garbage, not an SQLite file" * 500)
    before = digest(path)
    with pytest.raises(DatabaseUnavailable) as exc:
        Database(path)
    message = str(exc.value)
    assert str(path) in message and "已损坏" in message and "备份恢复" in message, message
    assert digest(path) == before


def test_a_file_with_a_damaged_page_is_named(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Database(path).close()
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the schema page: sqlite_master unreadable
    path.write_bytes(bytes(raw))
    with pytest.raises(DatabaseUnavailable) as exc:
        Database(path)
    assert str(path) in str(exc.value) and "已损坏" in str(exc.value), exc.value


def test_a_file_locked_by_another_process_is_named(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Database(path).close()
    other = sqlite3.connect(path)
    other.execute("BEGIN EXCLUSIVE")  # another kiosk process mid-write, holding the file
    try:
        with pytest.raises(DatabaseUnavailable) as exc:
            Database(path)
    finally:
        other.rollback()
        other.close()
    message = str(exc.value)
    assert str(path) in message and "占用" in message, message
    Database(path).close()  # once the other process lets go, the kiosk starts


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real ENOSPC (mounting needs root; CI runs as root)."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the disk-full test needs root to mount a small tmpfs")
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)  # fails if the kiosk left the file open


def test_a_full_disk_is_named(tiny_disk: Path) -> None:
    path = tiny_disk / "kiosk.db"
    with pytest.raises(DatabaseUnavailable) as exc:
        Database(path)
    message = str(exc.value)
    assert str(path) in message and "存储空间已满" in message, message
