"""The Server-Sent Events hub: numbered events, replay after a reconnect, and who is watching.

Events are published from the board's feed thread and read by the pages' streams on the server's
asyncio loop. Each event is encoded once, whatever the number of pages. Ids are ``EPOCH-SEQ``: a page
that reconnects with ``Last-Event-ID`` from this process gets the events it missed (if they are still
in the ring), anything else (a kiosk restart, too long away) gets a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REPLAY_LIMIT = 500
"""Events kept for replay: a busy hall makes well under 500 in the minutes a board may be away."""
CLIENTS_KEPT = 64
"""Pages remembered for the staff screen (connected or not); the oldest gone ones are forgotten."""


def encode(kind: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


@dataclass
class BoardClient:
    """A page that watches the hall: the 综合屏 or one window's screen."""

    client_id: str
    page: str
    """``board`` or ``window N``."""
    address: str
    connected_at: float
    last_seen: float
    connected: bool = True
    streams: int = 0


@dataclass
class _Event:
    seq: int
    kind: str
    data: dict[str, Any]
    wire: bytes


@dataclass
class Subscription:
    queue: asyncio.Queue[bytes | None]
    loop: asyncio.AbstractEventLoop
    client: BoardClient
    backlog: list[bytes] = field(default_factory=list)


class EventHub:
    def __init__(self, clock: Callable[[], float] = time.time):
        self.epoch = format(int(time.time() * 1000), "x")
        self._clock = clock
        self._lock = threading.Lock()
        self._seq = 0
        self._ring: deque[_Event] = deque(maxlen=REPLAY_LIMIT)
        self._subs: list[Subscription] = []
        self._clients: dict[str, BoardClient] = {}
        self._closed = False

    @property
    def lock(self) -> threading.Lock:
        """Held while the model changes and its events are published, and while a page subscribes."""
        return self._lock

    def last_id(self) -> str:
        return f"{self.epoch}-{self._seq}"

    # ---- publishing (feed thread, with `lock` held) ------------------------------------------------
    def publish_locked(self, kind: str, data: dict[str, Any]) -> str:
        self._seq += 1
        event_id = f"{self.epoch}-{self._seq}"
        wire = encode(kind, data, event_id)
        self._ring.append(_Event(self._seq, kind, data, wire))
        for sub in self._subs:
            _put(sub, wire)
        return event_id

    def broadcast_locked(self, kind: str, data: dict[str, Any]) -> None:
        """An event without an id (a heartbeat): encoded once for every page, kept for no replay."""
        wire = encode(kind, data)
        for sub in self._subs:
            _put(sub, wire)

    # ---- subscribing (server loop) -----------------------------------------------------------------
    def missed_since(self, last_event_id: str | None) -> list[_Event] | None:
        """The events after `last_event_id`, or None when they cannot be told (a snapshot is due)."""
        if not last_event_id:
            return None
        epoch, _, seq_text = last_event_id.strip().partition("-")
        if epoch != self.epoch or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        if seq > self._seq:
            return None
        if seq == self._seq:
            return []
        if not self._ring or self._ring[0].seq > seq + 1:
            return None  # some of them fell out of the ring
        return [e for e in self._ring if e.seq > seq]

    def subscribe(
        self,
        client_id: str,
        page: str,
        address: str,
        last_event_id: str | None,
        snapshot: Callable[[], dict[str, Any]],
    ) -> Subscription:
        """Register a stream; its first messages are the snapshot or the missed events (as replays)."""
        loop = asyncio.get_running_loop()
        now = self._clock()
        with self._lock:
            if self._closed:
                raise RuntimeError("board server is stopping")
            client = self._clients.get(client_id)
            if client is None:
                client = BoardClient(client_id, page, address, now, now)
                self._clients[client_id] = client
                self._forget_old()
            client.page, client.address, client.connected, client.last_seen = page, address, True, now
            client.streams += 1
            missed = self.missed_since(last_event_id)
            if missed is None:
                backlog = [encode("snapshot", snapshot(), self.last_id())]
            else:
                backlog = [
                    encode(e.kind, {**e.data, "replay": True}, f"{self.epoch}-{e.seq}") for e in missed
                ]
            sub = Subscription(asyncio.Queue(), loop, client, backlog)
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)
            sub.client.streams = max(0, sub.client.streams - 1)
            sub.client.connected = sub.client.streams > 0
            sub.client.last_seen = self._clock()

    def seen(self, sub: Subscription) -> None:
        sub.client.last_seen = self._clock()

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        with self._lock:
            self._closed = True
            for sub in self._subs:
                _put(sub, None)

    # ---- the staff screen ----------------------------------------------------------------------------
    def clients(self) -> list[BoardClient]:
        with self._lock:
            return sorted(
                (BoardClient(**vars(c)) for c in self._clients.values()),
                key=lambda c: (not c.connected, c.page, c.address),
            )

    def _forget_old(self) -> None:
        if len(self._clients) <= CLIENTS_KEPT:
            return
        gone = sorted((c for c in self._clients.values() if not c.connected), key=lambda c: c.last_seen)
        for c in gone[: len(self._clients) - CLIENTS_KEPT]:
            del self._clients[c.client_id]


def _put(sub: Subscription, item: bytes | None) -> None:
    with contextlib.suppress(RuntimeError):  # that stream's loop has already stopped
        sub.loop.call_soon_threadsafe(sub.queue.put_nowait, item)
