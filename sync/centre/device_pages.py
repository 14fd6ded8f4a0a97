"""实时/设备: the street's halls as their kiosks last reported (a line per hall, state colours, how long
each fault has lasted) and the alert list, with thresholds from the centre's settings. Read-only; publish
behind the proxy's login like the other pages."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sync.centre import devices
from sync.centre.figures import SHANGHAI
from sync.centre.pages import render
from sync.centre.settings import CentreSettings

LEVEL_TEXT = {
    devices.Level.BAD: "告警", devices.Level.WARN: "故障", devices.Level.OK: "正常", devices.Level.QUIET: "未营业/无消息",
}  # fmt: skip


def thresholds(settings: CentreSettings) -> devices.Thresholds:
    h, m = map(int, settings.alert_close_by.split(":"))
    return devices.Thresholds(
        settings.alert_printer_minutes, settings.alert_unheard_minutes, dt.time(h, m),
        settings.alert_skew_seconds, settings.alert_disk_mb,
    )  # fmt: skip


def _ago(since: dt.datetime | None, now: dt.datetime) -> str:
    if since is None:
        return "—"
    minutes = int((now - since).total_seconds() // 60)
    return f"{minutes // 60} 小时 {minutes % 60} 分" if minutes >= 60 else f"{minutes} 分钟"


def render_devices(halls: list[devices.HallLive], now: dt.datetime, limits: devices.Thresholds) -> str:
    return render(
        "devices.html",
        halls=halls,
        alerts=devices.alerts(halls),
        now=now.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
        limits=limits,
        level_text=LEVEL_TEXT,
        ago=lambda since: _ago(since, now),
        local=lambda at: "—" if at is None else at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
    )


def register(api: FastAPI, engine: Engine, settings: CentreSettings) -> None:
    limits = thresholds(settings)

    def build() -> str:
        now = dt.datetime.now(dt.UTC)
        with engine.connect() as conn:
            halls = devices.street_live(conn, now, limits)
        return render_devices(halls, now, limits)

    @api.get("/devices", response_class=HTMLResponse, tags=["devices"])
    async def device_page() -> HTMLResponse:
        return HTMLResponse(await run_in_threadpool(build))
