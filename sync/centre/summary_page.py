"""Staff pages: the night's summary served by the centre, and written to files by ``street-centre summary``.

Read-only pages without their own login: publish them only behind the reverse proxy's authentication
(docs/centre.md)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection, Engine, func, select

from sync.centre import models
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


def register(api: FastAPI, engine: Engine) -> None:
    # A night of 200 halls takes a while to compute; staff open the page many times, so the last result
    # per (night, as-of date) is kept until the data changes.
    cache: dict[tuple[dt.date, dt.date], tuple[tuple[object, ...], StreetNight]] = {}
    lock = threading.Lock()

    def night(day: dt.date) -> StreetNight:
        as_of = max(day, dt.datetime.now(SHANGHAI).date())
        with lock, engine.connect() as conn:
            fp = _fingerprint(conn)
            hit = cache.get((day, as_of))
            if hit is not None and hit[0] == fp:
                return hit[1]
            n = street_night(conn, day, as_of=as_of)
            if len(cache) > 16:
                cache.clear()
            cache[(day, as_of)] = (fp, n)
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
        n = await run_in_threadpool(night, _day(day))
        return _csv(followups_csv(n), f"followups-{day}.csv")

    @api.get("/summary/{day}", response_class=HTMLResponse, tags=["summary"])
    async def street_page(day: str) -> HTMLResponse:
        n = await run_in_threadpool(night, _day(day))
        return HTMLResponse(render_street(n, lambda h: _served_link(day, h)))

    @api.get("/summary/{day}/hall/{hall_id}", response_class=HTMLResponse, tags=["summary"])
    async def hall_page(day: str, hall_id: str) -> HTMLResponse:
        n = await run_in_threadpool(night, _day(day))
        hall = next((h for h in n.halls if h.hall_id == hall_id), None)
        if hall is None:
            raise HTTPException(404, f"no hall {hall_id}")
        return HTMLResponse(render_hall(n, hall, lambda h: _served_link(day, h)))


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
