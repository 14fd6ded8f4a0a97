"""The street centre's HTTP service (FastAPI; served by uvicorn through ``street-centre serve``).

Kiosk API (signed, see ``sync.signing``): ``POST /v1/events``, ``GET /v1/cursor``, ``GET /v1/config``;
``POST /v1/enrol`` trades a one-time token for a key. Staff pages: ``/summary/…`` (they take 回访/整改 results from a user the proxy logged in; put them
behind the reverse proxy's login, see docs/centre.md). OpenAPI at ``/openapi.json``. Every HTML page is a
Jinja2 template (``sync.centre.pages``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select, update

from sync.centre import config_docs, devices, enrol, models
from sync.centre.db import make_engine, migrate
from sync.centre.ingest import IngestRefused, PushBatch, PushResult, ingest_push
from sync.centre.limits import FaultInjector, Guard, RateLimit, client_address
from sync.centre.security import Authenticated, AuthError, authenticate, record_skew
from sync.centre.settings import CentreSettings

log = logging.getLogger("street_centre")
T = TypeVar("T")


class EnrolRequest(BaseModel):
    kiosk_id: str = Field(max_length=64)
    token: str = Field(max_length=200)


class EnrolResponse(BaseModel):
    kiosk_id: str
    hall_id: str
    key_id: str
    secret: str


class CursorResponse(BaseModel):
    kiosk_id: str
    hall_id: str
    acked_seq: int


class ConfigDocument(BaseModel):
    kind: str
    version: int
    body: Any


class ConfigResponse(BaseModel):
    version: int
    documents: list[ConfigDocument]


_PUSH_SCHEMA = PushBatch.model_json_schema(ref_template="#/components/schemas/{model}")
_PUSH_DEFS = _PUSH_SCHEMA.pop("$defs", {})


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str, retry_after: int | None = None) -> None:
        self.status, self.code, self.detail, self.retry_after = status, code, detail, retry_after


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: CentreSettings, engine: Engine | None = None, run_migrations: bool = True) -> Any:
    """Build the ASGI application (FastAPI wrapped in the guard middlewares)."""
    engine = engine or make_engine(settings.database_url, settings.db_schema)
    if run_migrations:
        migrate(engine)
    # No /docs or /redoc: they are HTML pages built outside the templates, with scripts from a CDN that
    # the pages' Content-Security-Policy forbids (and an intranet cannot reach). /openapi.json stays.
    api = FastAPI(
        title="Street centre sync",
        version="1",
        summary="Ingest from community hall kiosks",
        docs_url=None,
        redoc_url=None,
    )
    api.state.engine = engine
    api.state.settings = settings
    proxies = settings.proxies

    @api.exception_handler(_Refused)
    async def _refused(_req: Request, exc: _Refused) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse(
            {"error": exc.code, "detail": exc.detail}, status_code=exc.status, headers=headers
        )

    enrol_limit = RateLimit(settings.enrol_attempts_per_minute)

    def seen(kiosk_id: str, at: datetime) -> None:
        """The key has signed a request, even one that was then refused: its enrolment token is spent
        for good (see ``enrol._same_key_again``). Kept apart from the refused transaction."""
        with engine.begin() as conn:
            conn.execute(
                update(models.Kiosk).where(models.Kiosk.kiosk_id == kiosk_id).values(last_seen_at=at)
            )

    def signed(request: Request, body: bytes, work: Callable[[Connection, Authenticated], T]) -> T:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        now = _now()
        who: Authenticated | None = None
        try:
            with engine.begin() as conn:
                who = authenticate(
                    conn,
                    request.method,
                    target,
                    request.headers,
                    body,
                    now,
                    settings.timestamp_window_seconds,
                )
                return work(conn, who)
        except AuthError as exc:
            log.warning("refused %s %s: %s", request.method, target, exc.code)
            raise _Refused(exc.status, exc.code, exc.detail) from exc
        except IngestRefused as exc:
            log.warning(
                "refused push from %s: %s %s", request.headers.get("x-kiosk-id"), exc.code, exc.detail
            )
            if who is not None:
                seen(who.kiosk_id, now)
            raise _Refused(exc.status, exc.code, exc.detail) from exc

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "time": _now().isoformat()}

    @api.post("/v1/enrol", response_model=EnrolResponse, responses={403: {}, 429: {}})
    def enrol_kiosk(req: EnrolRequest, request: Request) -> EnrolResponse:
        client = client_address(request.client.host if request.client else None, request.headers, proxies)
        wait = enrol_limit.retry_after(client)
        if wait is not None:
            log.warning("enrol attempts from %s over the limit", client)
            raise _Refused(429, "busy", "too many enrolment attempts; wait a minute", retry_after=wait)
        try:
            with engine.begin() as conn:
                key = enrol.exchange(conn, req.kiosk_id, req.token, _now())
        except enrol.EnrolError as exc:
            raise _Refused(403, "enrol_refused", str(exc)) from exc
        return EnrolResponse(
            kiosk_id=key.kiosk_id, hall_id=key.hall_id, key_id=key.key_id, secret=key.to_json()
        )

    @api.post(
        "/v1/events",
        response_model=PushResult,
        responses={401: {}, 403: {}, 409: {}, 413: {}, 422: {}, 429: {}},
        # the body is read raw and checked against the contract (sync.contract.PushBatch, its schema here)
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": _PUSH_SCHEMA}}}
        },
    )
    async def push(request: Request) -> PushResult:
        body = await request.body()

        def work(conn: Connection, who: Authenticated) -> PushResult:
            now = _now()
            result, device_time = ingest_push(conn, who, body, now, settings.max_batch_events)
            record_skew(conn, who.kiosk_id, device_time, now)
            return result

        return await run_in_threadpool(signed, request, body, work)

    @api.post("/v1/heartbeat", responses={401: {}, 403: {}, 422: {}})
    async def heartbeat(request: Request) -> dict[str, str]:
        """The kiosk's live state and device health (sync.contract.heartbeat), shown on /devices."""
        body = await request.body()

        def work(conn: Connection, who: Authenticated) -> None:
            try:
                hb = devices.parse(body)
            except devices.HeartbeatRefused as exc:
                raise _Refused(422, "malformed", str(exc)) from exc
            now = _now()
            skew = record_skew(conn, who.kiosk_id, hb.device_time, now)
            devices.record(conn, who.kiosk_id, who.hall_id, hb, now, skew)
            conn.execute(
                update(models.Kiosk).where(models.Kiosk.kiosk_id == who.kiosk_id).values(last_seen_at=now)
            )

        await run_in_threadpool(signed, request, body, work)
        return {"status": "ok"}

    @api.get("/v1/cursor", response_model=CursorResponse)
    async def cursor(request: Request) -> CursorResponse:
        body = await request.body()

        def work(conn: Connection, who: Authenticated) -> CursorResponse:
            acked = conn.execute(select(models.Kiosk.acked_seq).where(models.Kiosk.kiosk_id == who.kiosk_id))
            return CursorResponse(
                kiosk_id=who.kiosk_id, hall_id=who.hall_id, acked_seq=int(acked.scalar_one())
            )

        return await run_in_threadpool(signed, request, body, work)

    @api.get("/v1/config", response_model=ConfigResponse)
    async def config(request: Request, since: int = 0) -> ConfigResponse:
        body = await request.body()

        def work(conn: Connection, who: Authenticated) -> ConfigResponse:
            return ConfigResponse.model_validate(config_docs.updates_since(conn, who.hall_id, since))

        return await run_in_threadpool(signed, request, body, work)

    base_openapi = api.openapi

    def openapi() -> dict[str, Any]:
        spec = base_openapi()
        spec.setdefault("components", {}).setdefault("schemas", {}).update(_PUSH_DEFS)
        return spec

    api.openapi = openapi  # type: ignore[method-assign]

    from sync.centre import summary_page

    summary_page.register(api, engine, settings.staff_user_header, proxies)
    from sync.centre import report_pages

    report_pages.register(api, engine)
    from sync.centre import device_pages

    device_pages.register(api, engine, settings)
    from sync.centre.refresher import FigureRefresher

    refresher = FigureRefresher(engine, settings.figures_refresh_seconds)
    api.router.add_event_handler("startup", refresher.start)
    api.router.add_event_handler("shutdown", refresher.stop)

    app: Any = api
    if settings.fault_injection:
        app = FaultInjector(app)
    guard = Guard(
        app, settings.max_body_bytes, settings.max_concurrent_requests, settings.retry_after_seconds
    )
    guard.api = api  # type: ignore[attr-defined]
    return guard


def app_from_env() -> Any:
    """uvicorn factory for ``serve --workers N`` (settings from CENTRE_*; the parent has migrated)."""
    return create_app(CentreSettings.from_env(), run_migrations=False)
