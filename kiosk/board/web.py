"""The board's HTTP routes: the 综合屏 page, the 窗口屏 pages, their event stream, static files, voice.

Every page is rendered by Jinja2 with autoescape; everything a page shows later arrives as JSON over
the stream and is written into the DOM as text (never as HTML). Pages are read-only: no route changes
anything in the hall. With a LAN token configured, each route wants it (``?token=`` once, then a cookie).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kiosk.board.hub import EventHub
from kiosk.config.schema import BoardSettings, HallConfig
from kiosk.services.call_words import VOICE_ASSETS

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
COOKIE = "board_token"
CLIENT_ID = re.compile(r"^[a-z0-9]{6,32}$")
RETRY_MS = 2000
"""How soon a page's EventSource tries again after losing the kiosk."""

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


SECURITY_HEADERS = [
    # Everything the pages use comes from the kiosk itself; nothing may frame them or guess types.
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Plain ASGI (not BaseHTTPMiddleware): the event streams pass through untouched, chunk by chunk."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def voice_files(folder: Path = VOICE_ASSETS) -> dict[str, Path]:
    """The segments a page may fetch: only the committed WAVs, looked up by name, never a path."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in folder.glob("*.wav") if re.fullmatch(r"[A-Za-z0-9_]+", p.stem)}


def create_app(
    config: HallConfig,
    settings: BoardSettings,
    hub: EventHub,
    snapshot: Callable[[], dict[str, Any]],
) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders)
    voices = voice_files()
    windows = {w.number: w for w in config.windows}
    names = {s.code: s.name for s in config.services}

    def allowed(request: Request) -> bool:
        if not settings.token:
            return True
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        return hmac.compare_digest(given.encode(), settings.token.encode())

    def denied() -> HTMLResponse:
        return HTMLResponse(_env.get_template("denied.html").render(hall=config.name), status_code=403)

    def page(template: str, request: Request, **context: Any) -> Response:
        if not allowed(request):
            return denied()
        html = _env.get_template(template).render(
            hall=config.name,
            hotline=config.hotline,
            heartbeat_s=settings.heartbeat_seconds,
            highlight_s=settings.highlight_seconds,
            **context,
        )
        resp = HTMLResponse(html, headers={"Cache-Control": "no-store"})
        if settings.token and request.query_params.get("token"):
            resp.set_cookie(COOKIE, settings.token, httponly=True, samesite="strict", max_age=400 * 86400)
        return resp

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        return page("index.html", request, windows=list(windows.values()))

    @app.get("/board")
    def board(request: Request) -> Response:
        return page(
            "board.html",
            request,
            windows=list(windows.values()),
            services=config.services,
            latest_limit=settings.latest_calls,
            ticker=settings.ticker,
        )

    @app.get("/window/{number}")
    def window(number: int, request: Request) -> Response:
        if not allowed(request):
            return denied()
        w = windows.get(number)
        if w is None:
            return HTMLResponse(
                _env.get_template("denied.html").render(hall=config.name, message=f"没有 {number} 号窗口"),
                status_code=404,
            )
        return page("window.html", request, window=w, services=[names[c] for c in w.services if c in names])

    @app.get("/events")
    async def events(request: Request) -> Response:
        if not allowed(request):
            return Response("需要大厅令牌 (token)", status_code=403, media_type="text/plain; charset=utf-8")
        client_id = request.query_params.get("client", "")
        page_kind = request.query_params.get("page", "board")
        if not CLIENT_ID.fullmatch(client_id):
            return Response("client must be 6-32 lowercase letters or digits", status_code=422)
        if page_kind != "board":
            number = page_kind.removeprefix("window-")
            if not number.isdigit() or int(number) not in windows:
                return Response("page is board or window-N of a configured window", status_code=422)
            page_kind = f"window {int(number)}"
        last_id = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
        address = request.client.host if request.client else "?"
        try:
            sub = hub.subscribe(client_id, page_kind, address, last_id, snapshot)
        except RuntimeError:
            return Response("stopping", status_code=503)

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield f"retry: {RETRY_MS}\n\n".encode()
                for message in sub.backlog:
                    yield message
                while True:  # the feed thread sends the heartbeats too, each encoded once for all
                    item = await sub.queue.get()
                    if item is None:
                        return
                    hub.seen(sub)
                    yield item
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)  # a TV has no tab to show it in

    @app.get("/voice/{name}.wav")
    def voice(name: str, request: Request) -> Response:
        if not allowed(request):
            return denied()
        path = voices.get(name)
        if path is None:
            return Response("no such segment", status_code=404)
        return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        path = STATIC / name
        if not re.fullmatch(r"[a-z0-9_-]+\.(js|css)", name) or not path.is_file():
            return Response("not found", status_code=404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(path, media_type=media + "; charset=utf-8", headers={"Cache-Control": "no-cache"})

    return app
