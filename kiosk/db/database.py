"""The kiosk's SQLite file: WAL, synchronous=FULL, foreign keys, and exactly one writer thread.

Every change goes through `Database.submit(task, name)`: the UI, the keypads and sync hand small task
functions to one writer thread, so nobody ever sees "database is locked" and the order of changes
is the order of the outbox. Each task carries a name (``calling.call_next``) so a failed write says
which operation failed. Reads run on the caller's thread against WAL snapshots.
"""

from __future__ import annotations

import errno
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.db.migrate import upgrade_to_head

log = logging.getLogger(__name__)
T = TypeVar("T")
Task = Callable[[Session], T]
CommitListener = Callable[[list[Any]], None]

_STOP = object()


def make_engine(path: str | Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        # FULL: a committed ticket survives a power cut, which is the promise the ticket makes.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


class DatabaseUnavailable(RuntimeError):
    """The writer has stopped or the disk refused a write; staff must be told."""


def explain_start_failure(path: Path, exc: BaseException) -> str:
    """What staff read on the 暂停服务 screen when the file cannot be opened at start-up: which file,
    what is wrong, what to do. The file itself is never touched on the way (nothing is lost)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"数据库 {path} 正被另一个程序占用（是否已有一个取号程序在运行？）："
            "请关闭它，或重新启动取号机。数据未被改动。"
        )
    if "full" in text or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
        return f"存储空间已满，数据库 {path} 无法写入：请清理存储空间或更换存储卡后重新启动取号机。已有数据未被改动。"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"数据库文件 {path} 已损坏：请勿删除该文件，联系管理员从备份恢复后重新启动取号机。"
            "取号机未改动它。"
        )
    return f"数据库 {path} 无法打开（{type(exc).__name__}: {exc}）：请联系管理员。"


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            upgrade_to_head(self.path)
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(explain_start_failure(self.path, exc)) from exc
        self.engine = make_engine(self.path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._listeners: list[CommitListener] = []
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self._thread.start()

    # ---- writing -----------------------------------------------------------------
    def submit(self, task: Task[T], name: str | None = None) -> Future[T]:
        """Queue `task` for the writer; `name` (default: the function's) is what logs call it."""
        fut: Future[T] = Future()
        if not self._thread.is_alive():
            fut.set_exception(DatabaseUnavailable("the database writer has stopped"))
            return fut
        self._queue.put((name or getattr(task, "__qualname__", repr(task)), task, fut))
        return fut

    def run(self, task: Task[T], timeout: float | None = 60, name: str | None = None) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a writer task must not wait on another writer task")
        return self.submit(task, name).result(timeout)

    @property
    def queue_length(self) -> int:
        """Tasks waiting for the writer (for the health snapshot: a growing queue means a slow disk)."""
        return self._queue.qsize()

    def add_commit_listener(self, listener: CommitListener) -> None:
        """Called on the writer thread after each commit with the task's notifications."""
        self._listeners.append(listener)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            name, task, fut = item
            if not fut.set_running_or_notify_cancel():
                continue
            notes: list[Any] = []
            try:
                with self._sessions() as session, session.begin():
                    session.info["notify"] = notes
                    result = task(session)
            except BaseException as exc:  # noqa: BLE001 - any failure of a task is the caller's, handed back through its future
                self._record_failure(name, exc)
                fut.set_exception(exc)
                continue
            self.last_error = None
            fut.set_result(result)
            for listener in self._listeners:
                try:
                    listener(notes)
                except Exception:
                    log.exception("commit listener failed")

    def _record_failure(self, name: str, exc: BaseException) -> None:
        from kiosk.engine.errors import DomainError

        if not isinstance(exc, DomainError):
            if self.last_error is None:
                log.error("database write %s failed: %s", name, exc)
            self.last_error = f"{type(exc).__name__}: {exc}"

    # ---- reading -----------------------------------------------------------------
    def read(self, query: Task[T]) -> T:
        with self._sessions() as session:
            return query(session)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
