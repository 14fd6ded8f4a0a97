"""ASGI middlewares: body size limit, bounded concurrency (429 + Retry-After), the server's clock and the
security headers (``pages.SECURITY_HEADERS``) on every answer, and — for tests only — injected faults."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from sync import signing
from sync.centre.pages import SECURITY_HEADERS

_SECURITY = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    raw = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


def client_address(peer: str | None, headers: Mapping[str, str], proxies: frozenset[str]) -> str:
    """The client's address: the TCP peer, or — only when the peer is the trusted proxy — the last
    address the proxy appended to X-Forwarded-For (earlier entries are whatever the client sent)."""
    peer = peer or "?"
    forwarded = headers.get("x-forwarded-for")
    if peer in proxies and forwarded:
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return peer


class RateLimit:
    """At most ``per_minute`` requests per key in any 60 s (a sliding window kept in memory)."""

    def __init__(self, per_minute: int, max_keys: int = 10_000) -> None:
        self.per_minute, self.max_keys = per_minute, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> int | None:
        """None if the request may go ahead (and it is counted); else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > self.max_keys:  # a flood of addresses: forget the idle ones
                self._hits = {k: q for k, q in self._hits.items() if q and q[-1] > now - 60}
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, int(hits[0] + 60 - now) + 1)
            hits.append(now)
            return None


class Guard:
    """Outermost middleware. Refuses bodies over ``max_body`` (413) before reading them in full, and more
    than ``max_concurrent`` requests at once under ``/v1/`` (429 + Retry-After): when 200 halls sync at
    the same nightly minute, each kiosk waits and retries instead of the centre falling over."""

    def __init__(self, app: ASGIApp, max_body: int, max_concurrent: int, retry_after: int) -> None:
        self.app, self.max_body, self.max_concurrent, self.retry_after = (
            app,
            max_body,
            max_concurrent,
            retry_after,
        )
        self.active = 0
        self.refused_busy = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server_time = (signing.HEADER_SERVER_TIME.lower().encode(), f"{time.time():.3f}".encode())

        async def send_with_time(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                msg["headers"] = [*msg.get("headers", []), server_time, *_SECURITY]
            await send(msg)

        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await send_json(
                send_with_time, 413, {"error": "too_large", "detail": f"body over {self.max_body} bytes"}
            )
            return
        limited = scope["path"].startswith("/v1/")
        if limited and self.active >= self.max_concurrent:
            self.refused_busy += 1
            await send_json(
                send_with_time,
                429,
                {"error": "busy", "detail": "too many kiosks at once"},
                {"Retry-After": str(self.retry_after)},
            )
            return
        seen = 0
        refused = False  # we answered 413 ourselves; whatever the app sends after that is dropped

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_body:
                    refused = True
                    await send_json(
                        send_with_time, 413, {"error": "too_large", "detail": f"over {self.max_body}"}
                    )
                    return {"type": "http.disconnect"}  # the app stops reading, nothing is stored
            return msg

        async def tracked_send(msg: Message) -> None:
            if not refused:
                await send_with_time(msg)

        if limited:
            self.active += 1
        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:
            if not refused:
                raise
        finally:
            if limited:
                self.active -= 1


class FaultInjector:
    """Tests only (``fault_injection=True``): a queue of faults the test posts to ``/_test/faults``.

    Each fault matches a path prefix and is used once: ``500`` answers 500 without running the request;
    ``500_after`` runs it (the batch is stored) and then answers 500; ``delay`` runs it and holds the
    answer for ``seconds`` (longer than the client's timeout, so the client gives up on a stored batch);
    ``delay_before`` waits before running it (a request in flight that is not stored yet).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.faults: list[dict[str, Any]] = []
        self.used: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/_test/faults":
            await self._control(scope, receive, send)
            return
        fault = next((f for f in self.faults if scope["path"].startswith(f.get("path", "/v1/"))), None)
        if fault is None:
            await self.app(scope, receive, send)
            return
        self.faults.remove(fault)
        action = fault["action"]
        self.used.append(action)
        if action == "500":
            await send_json(send, 500, {"error": "injected"})
            return
        if action == "500_after":

            async def swallow(_msg: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await send_json(send, 500, {"error": "injected_after_store"})
            return
        if action == "delay_before":
            await asyncio.sleep(float(fault.get("seconds", 2)))
            await self.app(scope, receive, send)
            return
        if action == "delay":

            async def slow(msg: Message) -> None:
                if msg["type"] == "http.response.start":
                    await asyncio.sleep(float(fault.get("seconds", 2)))
                await send(msg)

            await self.app(scope, receive, slow)
            return
        await self.app(scope, receive, send)

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            body = b""
            while True:
                msg = await receive()
                body += msg.get("body", b"")
                if not msg.get("more_body"):
                    break
            self.faults.extend(json.loads(body or b"[]"))
        await send_json(send, 200, {"pending": self.faults, "used": self.used})
