"""Live hall status and device health from the kiosks' heartbeats, and the street's alert list.

A heartbeat replaces the kiosk's row in ``device_status`` and opens or clears its faults
(``device_faults``: a fault lasts from the first heartbeat that showed it — or the time the kiosk says
it began, corrected by the clock skew measured on that heartbeat — until the first one without it).
Alerts are decided when the page is read, from the stored state and the thresholds in the centre's
settings, so an alert clears as soon as the state that raised it is gone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update

from sync.centre import models
from sync.centre.figures import SHANGHAI
from sync.contract.heartbeat import BusState, Heartbeat, PrinterState

PRINTER_LABEL = {
    PrinterState.OK: "正常", PrinterState.PAPER_NEAR_END: "纸将尽", PrinterState.PAPER_OUT: "缺纸",
    PrinterState.COVER_OPEN: "纸仓盖开", PrinterState.OFFLINE: "脱机", PrinterState.ERROR: "故障",
}  # fmt: skip


class HeartbeatRefused(ValueError):
    pass


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    QUIET = "quiet"  # closed, or never heard


def parse(body: bytes) -> Heartbeat:
    try:
        return Heartbeat.model_validate_json(body)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "(the body)"
        raise HeartbeatRefused(f"{where}: {err['msg']}") from exc


def _at(text: str) -> dt.datetime:
    at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _faults(hb: Heartbeat) -> dict[str, tuple[str, str | None]]:
    """kind → (what staff read, when the kiosk says it began)."""
    out: dict[str, tuple[str, str | None]] = {}
    if hb.printer.state != PrinterState.OK:
        out[f"printer:{hb.printer.state}"] = (f"打印机{PRINTER_LABEL[hb.printer.state]}", hb.printer.since)
    for bus in hb.keypads:
        if bus.state == BusState.OFFLINE:
            out[f"keypad:{bus.bus}"[:40]] = (f"评价器总线 {bus.bus} 断开", None)
        for n in bus.silent:
            out[f"keypad:{bus.bus}:{n}"[:40]] = (f"{n}号窗口评价器无应答", None)
    return out


def record(
    conn: Connection, kiosk_id: str, hall_id: str, hb: Heartbeat, now: dt.datetime, skew: float | None
) -> None:
    values: dict[str, Any] = {
        "hall_id": hall_id,
        "received_at": now,
        "skew_seconds": skew,
        "is_open": hb.open,
        "waiting": sum(hb.waiting.values()),
        "printer_state": hb.printer.state.value,
        "outbox_backlog": hb.outbox_backlog,
        "disk_free_mb": hb.disk_free_mb,
        "software_version": hb.software_version,
        "config_version": hb.config_version,
        "data": hb.model_dump(mode="json"),
    }
    conn.execute(delete(models.DeviceStatus).where(models.DeviceStatus.kiosk_id == kiosk_id))
    conn.execute(insert(models.DeviceStatus).values(kiosk_id=kiosk_id, **values))
    f = models.DeviceFault
    current = _faults(hb)
    open_rows = {
        r.kind: r for r in conn.execute(select(f).where(f.kiosk_id == kiosk_id, f.cleared_at.is_(None)))
    }
    for kind, row in open_rows.items():
        if kind in current:
            conn.execute(update(f).where(f.id == row.id).values(last_seen_at=now))
        else:
            conn.execute(update(f).where(f.id == row.id).values(cleared_at=now))
    for kind, (detail, since) in current.items():
        if kind in open_rows:
            continue
        started = now
        if (
            since
        ):  # the kiosk's clock (checked at the door), brought onto the centre's by the skew just measured
            started = min(now, _at(since) + dt.timedelta(seconds=skew or 0))
        conn.execute(
            insert(f).values(
                kiosk_id=kiosk_id, hall_id=hall_id, kind=kind, detail=detail[:200], started_at=started,
                last_seen_at=now, cleared_at=None,
            )
        )  # fmt: skip


@dataclass
class Alert:
    hall_id: str
    hall_name: str
    kind: str
    text: str
    since: dt.datetime | None


@dataclass
class HallLive:
    hall_id: str
    name: str
    level: Level
    heard_at: dt.datetime | None = None
    is_open: bool = False
    waiting: dict[str, int] = field(default_factory=dict)
    windows_open: int = 0
    windows_paused: int = 0
    printer: str = "—"
    keypads: str = "—"
    backlog: int = 0
    disk_free_mb: int | None = None
    versions: str = "—"
    skew_s: float | None = None
    faults: list[tuple[str, dt.datetime]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class Thresholds:
    printer_minutes: float = 10
    unheard_minutes: float = 30
    close_by: dt.time = dt.time(8, 0)
    skew_seconds: float = 120
    disk_mb: int = 1024


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def street_live(conn: Connection, now: dt.datetime, limits: Thresholds) -> list[HallLive]:
    halls: dict[str, HallLive] = {}
    for k in conn.execute(select(models.Kiosk).where(models.Kiosk.status == "active")):
        halls.setdefault(k.hall_id, HallLive(k.hall_id, k.hall_name or k.hall_id, Level.QUIET))
        if k.hall_name:
            halls[k.hall_id].name = k.hall_name
    for s in conn.execute(select(models.DeviceStatus)):
        h = halls.setdefault(s.hall_id, HallLive(s.hall_id, s.hall_id, Level.QUIET))
        heard = _aware(s.received_at)
        if h.heard_at is not None and heard <= h.heard_at:
            continue  # a hall's newest kiosk speaks for it
        data = s.data
        h.heard_at, h.is_open, h.waiting = heard, s.is_open, dict(data.get("waiting") or {})
        wins = data.get("windows") or []
        h.windows_open = sum(1 for w in wins if w.get("status") == "open")
        h.windows_paused = sum(1 for w in wins if w.get("status") == "paused")
        h.printer = PRINTER_LABEL.get(PrinterState(s.printer_state), s.printer_state)
        buses = data.get("keypads") or []
        h.keypads = "、".join(
            f"{b['bus']} {'正常' if b['state'] == 'ok' else '断开'}" + (f"（{len(b['silent'])} 台无应答）" if b.get("silent") else "")
            for b in buses
        ) or "—"  # fmt: skip
        h.backlog, h.disk_free_mb, h.skew_s = s.outbox_backlog, s.disk_free_mb, s.skew_seconds
        h.versions = f"软件 {s.software_version} · 配置 {s.config_version}"
    f = models.DeviceFault
    for row in conn.execute(select(f).where(f.cleared_at.is_(None)).order_by(f.started_at)):
        if row.hall_id in halls:
            halls[row.hall_id].faults.append((row.detail, _aware(row.started_at)))
    yesterday = (now.astimezone(SHANGHAI) - dt.timedelta(days=1)).date().isoformat()
    unclosed = set(
        conn.execute(
            select(models.HallDay.hall_id).where(
                models.HallDay.business_date == yesterday, models.HallDay.closed.is_(False)
            )
        ).scalars()
    )
    local_now = now.astimezone(SHANGHAI)
    for h in halls.values():
        _judge(h, now, local_now, limits, h.hall_id in unclosed)
    return sorted(
        halls.values(),
        key=lambda h: ({Level.BAD: 0, Level.WARN: 1, Level.OK: 2, Level.QUIET: 3}[h.level], h.name),
    )


def _minutes(since: dt.datetime, now: dt.datetime) -> int:
    return int((now - since).total_seconds() // 60)


def _judge(h: HallLive, now: dt.datetime, local_now: dt.datetime, limits: Thresholds, unclosed: bool) -> None:
    def alert(kind: str, text: str, since: dt.datetime | None) -> None:
        h.alerts.append(Alert(h.hall_id, h.name, kind, text, since))

    if h.heard_at is None:
        h.level = Level.QUIET
    else:
        silent = _minutes(h.heard_at, now)
        if h.is_open and silent >= limits.unheard_minutes:
            alert("unheard", f"自助机 {silent} 分钟无消息（营业时间内）", h.heard_at)
        if h.is_open:
            for detail, since in h.faults:
                if detail.startswith("打印机") and _minutes(since, now) >= limits.printer_minutes:
                    alert("printer", f"{detail}已 {_minutes(since, now)} 分钟", since)
        if h.skew_s is not None and abs(h.skew_s) > limits.skew_seconds:
            alert("skew", f"时钟偏差 {-h.skew_s / 60:+.0f} 分钟", None)
        if h.disk_free_mb is not None and h.disk_free_mb < limits.disk_mb:
            alert("disk", f"磁盘剩余 {h.disk_free_mb} MB", None)
    if unclosed and local_now.time() >= limits.close_by:
        alert("not_closed", f"昨日未日结（已过 {limits.close_by:%H:%M}）", None)
    if h.alerts:
        h.level = Level.BAD
    elif h.heard_at is not None:
        h.level = Level.WARN if h.faults else (Level.OK if h.is_open else Level.QUIET)


def alerts(halls: list[HallLive]) -> list[Alert]:
    return [a for h in halls for a in h.alerts]
