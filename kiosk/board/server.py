"""`BoardServer`: the call board's HTTP server inside the kiosk process, on its own threads.

Two threads, neither of them the Kivy thread nor the database writer:

- ``board-http`` runs uvicorn (its own asyncio loop) serving the pages and their event streams;
- ``board-feed`` takes the engine's notices from a queue (the writer thread only puts them there),
  updates the board's model, reads the waiting counts, and publishes the events, each encoded once.

The board is one more listener of the engine's notices, like the keypads and the kiosk's overlay:
whoever calls (a keypad, the software caller, kiosk-admin), the board hears it the same way.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from typing import Any

import uvicorn

from kiosk.board.hub import BoardClient, EventHub
from kiosk.board.model import QUEUE_CHANGES, BoardModel, EventKind, clock_texts
from kiosk.board.web import create_app
from kiosk.config.schema import BoardSettings
from kiosk.engine.engine import QueueEngine
from kiosk.engine.notices import Notice, NoticeKind

log = logging.getLogger(__name__)
OVERVIEW_EVERY_S = 30.0
"""Wait ranges drift as time passes even without a notice: re-read them this often."""
OVERVIEW_AT_MOST_S = 2.0
"""Waiting counts are re-read at most this often, however many tickets are issued and called: the
query is the board's only real work, and it runs in the kiosk's process beside the Kivy thread."""
_STOP = object()


class BoardServer:
    def __init__(self, engine: QueueEngine, settings: BoardSettings, *, voice_on_board: bool | None = None):
        self.engine = engine
        self.settings = settings
        on_board = settings.voice in ("board", "both") if voice_on_board is None else voice_on_board
        self.model = BoardModel.create(engine.config, settings.latest_calls, on_board)
        self.hub = EventHub()
        self.error: str | None = None
        """Why the server is not serving (e.g. the port is taken), for the staff screen."""
        self.port = settings.port
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._server: uvicorn.Server | None = None
        self._http: threading.Thread | None = None
        self._feed: threading.Thread | None = None
        self._last_overview = -1e9

    # ---- life cycle --------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> BoardServer:
        self._reload()
        self._feed = threading.Thread(target=self._feed_loop, name="board-feed", daemon=True)
        self._feed.start()
        app = create_app(self.engine.config, self.settings, self.hub, self._snapshot)
        config = uvicorn.Config(
            app,
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = server = uvicorn.Server(config)
        self._http = threading.Thread(target=self._serve, args=(server,), name="board-http", daemon=True)
        self._http.start()
        deadline = time.monotonic() + timeout
        while not server.started and self._http.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if server.started and server.servers:
            self.port = server.servers[0].sockets[0].getsockname()[1]
            log.info("call board at %s", self.url())
        else:
            self.error = self.error or f"综合屏服务未能在 {self.settings.host}:{self.settings.port} 启动"
            log.error("call board: %s", self.error)
        return self

    def _serve(self, server: uvicorn.Server) -> None:
        try:
            server.run()
        except BaseException as exc:  # noqa: BLE001 - uvicorn exits with SystemExit when it cannot bind
            self.error = f"综合屏服务未能启动（{self.settings.host}:{self.settings.port}）：{exc!r}"
        if not server.started:
            self.error = self.error or f"综合屏服务未能启动：端口 {self.settings.port} 已被占用或地址不可用"

    def stop(self) -> None:
        self.hub.close()
        if self._server is not None:
            self._server.should_exit = True
        self._inbox.put(_STOP)
        for t in (self._http, self._feed):
            if t is not None:
                t.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.started and self.error is None

    def url(self, path: str = "/board") -> str:
        host = self.settings.host
        if host in ("0.0.0.0", "::"):
            host = lan_address()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{path}"

    def clients(self) -> list[BoardClient]:
        return self.hub.clients()

    # ---- the engine's notices (the database writer's thread: only a queue put) ----------------------
    def on_notice(self, notice: Notice) -> None:
        self._inbox.put(notice)

    # ---- the feed thread ---------------------------------------------------------------------------
    def _feed_loop(self) -> None:
        next_overview = time.monotonic() + OVERVIEW_EVERY_S
        next_heartbeat = time.monotonic() + self.settings.heartbeat_seconds
        while True:
            wait = max(0.0, min(1.0, next_overview - time.monotonic(), next_heartbeat - time.monotonic()))
            try:
                first = self._inbox.get(timeout=wait)
            except queue.Empty:
                first = None
            batch = [first] if first is not None else []
            while True:  # take every notice already waiting: one queue read serves them all
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                return
            try:
                if self._apply(batch):
                    # Soon, but not sooner than OVERVIEW_AT_MOST_S after the last read.
                    next_overview = min(next_overview, self._last_overview + OVERVIEW_AT_MOST_S)
                if time.monotonic() >= next_overview:
                    self._refresh_queue()
                    self._last_overview = time.monotonic()
                    next_overview = self._last_overview + OVERVIEW_EVERY_S
                self._tick_clock()
                if time.monotonic() >= next_heartbeat:
                    with self.hub.lock:
                        self.hub.broadcast_locked(EventKind.HEARTBEAT, self._heartbeat())
                    next_heartbeat = time.monotonic() + self.settings.heartbeat_seconds
            except Exception:
                log.exception("call board feed failed")

    def _apply(self, notices: list[Notice]) -> bool:
        refresh = False
        for n in notices:
            if n.kind is NoticeKind.CLOSED:
                self._reload(announce=True)
                continue
            with self.hub.lock:
                for kind, data in self.model.apply(n):
                    self.hub.publish_locked(kind, data)
            refresh = refresh or n.kind in QUEUE_CHANGES
        return refresh

    def _refresh_queue(self) -> None:
        overview = self.engine.queue_overview()
        with self.hub.lock:
            if self.model.set_queue(overview):
                self.hub.publish_locked(*self.model.queue_event())

    def _tick_clock(self) -> None:
        date_text, clock_text = clock_texts(self.engine.ctx.local(self.engine.clock.now()))
        with self.hub.lock:
            if self.model.set_clock(date_text, clock_text):
                self.hub.publish_locked(*self.model.clock_event())

    def _reload(self, announce: bool = False) -> None:
        """Read the hall's state from the database: at start, and after the day's close."""
        e = self.engine
        desks = {}
        for w in e.config.windows:
            view = e.desk_view(w.number)
            desks[w.number] = (view.current_number, view.paused)
        recent = [(number, window) for number, window, _at in e.recent_calls(self.settings.latest_calls * 2)]
        overview = e.queue_overview()
        date_text, clock_text = clock_texts(e.ctx.local(e.clock.now()))
        with self.hub.lock:
            self.model.load(desks, recent, overview)
            self.model.set_clock(date_text, clock_text)
            if announce:
                self.hub.publish_locked(EventKind.SNAPSHOT, self.model.snapshot())

    # ---- for the streams (server loop) ---------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        return self.model.snapshot()  # the hub holds its lock while it calls this

    def _heartbeat(self) -> dict[str, Any]:
        return {"date": self.model.date_text, "time": self.model.clock_text}


def lan_address() -> str:
    """The kiosk's address on the LAN (the route's source address; no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, only used to pick a route
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"
