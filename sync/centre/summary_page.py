"""Staff pages: the night's summary served by the centre, and written to files by ``street-centre summary``.

The pages have no login of their own: publish them only behind the reverse proxy's authentication
(docs/centre.md). When the proxy names the staff member it logged in (`CentreSettings.staff_user_header`),
each open 回访 or 整改 gets a small form, and its result is recorded under that name; without the name
the pages are read-only."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection, Engine, func, select

from sync.centre import day_store, followups, models
from sync.centre.csv_export import followups_csv, night_csv
from sync.centre.figures import SHANGHAI, StreetNight, street_night
from sync.centre.summary_html import render_hall, render_street


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(404, "date must be YYYY-MM-DD") from exc


def _yesterday() -> dt.date:
    return dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)


def _csv(text: str, name: str) -> Response:
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _fingerprint(conn: Connection) -> tuple[object, ...]:
    """Changes whenever anything the pages show can have changed: a push, a kiosk, a follow-up result."""
    kiosks = conn.execute(
        select(func.count(), func.sum(models.Kiosk.acked_seq), func.max(models.Kiosk.last_push_at))
    ).one()
    results = conn.execute(select(func.count(), func.max(models.FollowupResult.id))).one()
    return (*kiosks, *results)


RESULT_MAX_CHARS = 500


DEFAULT_PROXIES = frozenset({"127.0.0.1", "::1"})


def _staff(request: Request, header: str, proxies: frozenset[str] = DEFAULT_PROXIES) -> str | None:
    """The staff member the proxy logged in; believed only when the request comes from the proxy itself
    (anyone who reaches the centre directly could send the header)."""
    peer = request.client.host if request.client else None
    if peer not in proxies:
        return None
    return (request.headers.get(header) or "").strip()[:100] or None


def _same_origin(request: Request) -> bool:
    """A form post must come from a page of this very site: with HTTP Basic auth the browser would
    send the staff member's login along with a form posted from anywhere (cross-site request forgery).
    Compared with ``Host`` only: the proxy passes the browser's Host on, while X-Forwarded-Host is a
    header any client can add."""
    source = request.headers.get("origin") or request.headers.get("referer")
    host = request.headers.get("host")
    return bool(source and host) and urlsplit(source).netloc == host


def _forms(
    request: Request, header: str, day: str, proxies: frozenset[str] = DEFAULT_PROXIES
) -> Callable[[str, str], str] | None:
    """Where each follow-up's result form posts, when a logged-in staff member opened the page."""
    if _staff(request, header, proxies) is None:
        return None
    return lambda hall, fu: f"/summary/{day}/followups/{quote(hall, safe='')}/{quote(fu, safe='')}"


def register(
    api: FastAPI,
    engine: Engine,
    staff_header: str = "X-Remote-User",
    proxies: frozenset[str] = DEFAULT_PROXIES,
) -> None:
    # A night of 200 halls takes a while to compute; staff open the page many times, so the last result
    # per (night, as-of date) is kept until the data changes.
    # ``detail``: False for the street page (counts of 差评 and overdue items per hall), a hall id for that
    # hall's page (its items listed), True for the follow-up export (every item of every hall).
    cache: dict[tuple[dt.date, dt.date, bool | str], tuple[tuple[object, ...], StreetNight]] = {}
    lock = threading.Lock()

    def night(day: dt.date, detail: bool | str = False) -> StreetNight:
        as_of = max(day, dt.datetime.now(SHANGHAI).date())
        with engine.begin() as conn:  # what pushes changed since the refresher last ran
            day_store.refresh_dirty(conn, day, day)
        with lock, engine.connect() as conn:
            fp = _fingerprint(conn)
            hit = cache.get((day, as_of, detail))
            if hit is not None and hit[0] == fp:
                return hit[1]
            n = street_night(conn, day, as_of=as_of, detail=detail)
            if len(cache) > 16:
                cache.clear()
            cache[(day, as_of, detail)] = (fp, n)
            return n

    @api.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"/summary/{_yesterday().isoformat()}")

    @api.get("/summary/{day}.csv", tags=["summary"])
    async def csv_night(day: str) -> Response:
        n = await run_in_threadpool(night, _day(day))
        return _csv(night_csv(n), f"street-{day}.csv")

    @api.get("/summary/{day}/followups.csv", tags=["summary"])
    async def csv_followups(day: str) -> Response:
        n = await run_in_threadpool(night, _day(day), True)
        return _csv(followups_csv(n), f"followups-{day}.csv")

    @api.get("/summary/{day}", response_class=HTMLResponse, tags=["summary"])
    async def street_page(day: str, request: Request) -> HTMLResponse:
        n = await run_in_threadpool(night, _day(day))
        return HTMLResponse(
            render_street(n, lambda h: _served_link(day, h), _forms(request, staff_header, day, proxies))
        )

    @api.get("/summary/{day}/hall/{hall_id}", response_class=HTMLResponse, tags=["summary"])
    async def hall_page(day: str, hall_id: str, request: Request) -> HTMLResponse:
        n = await run_in_threadpool(night, _day(day), hall_id)
        hall = next((h for h in n.halls if h.hall_id == hall_id), None)
        if hall is None:
            raise HTTPException(404, f"no hall {hall_id}")
        forms = _forms(request, staff_header, day, proxies)
        return HTMLResponse(render_hall(n, hall, lambda h: _served_link(day, h), forms))

    @api.post("/summary/{day}/followups/{hall_id}/{followup_id}", tags=["summary"], status_code=303)
    async def record_followup(day: str, hall_id: str, followup_id: str, request: Request) -> Response:
        """Record a 回访 or 整改 result from the page's form (form-encoded: action, result, done)."""
        _day(day)
        who = _staff(request, staff_header, proxies)
        if who is None:
            raise HTTPException(403, "staff login required: open the summary through the centre's proxy")
        if not _same_origin(request):
            raise HTTPException(403, "the form must be sent from the centre's own page")
        try:
            form = parse_qs((await request.body()).decode("utf-8"), strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "the form is not UTF-8") from exc
        action = (form.get("action") or [""])[0]
        result = (form.get("result") or [""])[0].strip()
        done = (form.get("done") or [""])[0] == "1"
        if action not in ("callback", "rectification"):
            raise HTTPException(422, "action must be callback (回访) or rectification (整改)")
        if not result or len(result) > RESULT_MAX_CHARS:
            raise HTTPException(422, f"write what was done or found (1–{RESULT_MAX_CHARS} characters)")

        def store() -> None:
            with engine.begin() as conn:
                followups.record(
                    conn, hall_id, followup_id, action, result, who, dt.datetime.now(dt.UTC), done
                )

        try:
            await run_in_threadpool(store)
        except followups.FollowupError as exc:
            raise HTTPException(404, str(exc)) from exc
        back = request.headers.get("referer") or f"/summary/{day}"
        path = urlsplit(back).path
        return RedirectResponse(path if path.startswith("/summary/") else f"/summary/{day}", status_code=303)


def _served_link(day: str, target: str) -> str:
    if target == "":
        return f"/summary/{day}"
    if target == ".csv":
        return f"/summary/{day}.csv"
    return f"/summary/{day}/hall/{target}"


def write_night(engine: Engine, day: dt.date, out: Path) -> list[Path]:
    """Write the street page and one page per hall as files (links between them are relative)."""
    with engine.connect() as conn:
        n = street_night(conn, day)
    d = day.isoformat()

    def link(target: str) -> str:
        if target == "":
            return f"street-{d}.html"
        if target == ".csv":
            return f"street-{d}.csv"
        return f"hall-{target}-{d}.html"

    paths = [out / link("")]
    paths[0].write_text(render_street(n, link), encoding="utf-8")
    for hall in n.halls:
        p = out / link(hall.hall_id)
        p.write_text(render_hall(n, hall, link), encoding="utf-8")
        paths.append(p)
    (out / f"followups-{d}.csv").write_text("\ufeff" + followups_csv(n), encoding="utf-8")
    return paths
