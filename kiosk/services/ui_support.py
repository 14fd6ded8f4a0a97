"""Kivy-free helpers for the touch UI: plain-Chinese wording and small reads the runtime lacks.

Everything here is pure or reads the database, so it is testable without a display and may run on
any worker thread (never the Kivy thread: reads can take milliseconds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from drivers.keypad.transport import LinkState
from drivers.printer.status import PrinterState
from kiosk.config.schema import HallConfig, Service
from kiosk.db import models as m
from kiosk.services.health import Health
from sync.client.state import SyncPhase
from sync.contract.enums import WindowStatus

WEEKDAYS = "一二三四五六日"
WINDOW_STATUS = {WindowStatus.OPEN: "空闲", WindowStatus.PAUSED: "暂停服务"}
PRINTER_STATES = {
    PrinterState.READY: "正常",
    PrinterState.PAPER_NEAR_END: "纸将用完",
    PrinterState.PAPER_OUT: "缺纸",
    PrinterState.COVER_OPEN: "纸仓盖打开",
    PrinterState.OFFLINE: "离线",
    PrinterState.CUTTER_ERROR: "切刀故障",
    PrinterState.UNKNOWN: "无应答（未连接或断电）",
}
BUS_STATES = {
    LinkState.UP: "正常",
    LinkState.DOWN: "断开",
    LinkState.RECONNECTING: "正在重连",
    LinkState.STOPPED: "已停止",
}
SYNC_STATES = {
    SyncPhase.DISABLED: "未启用",
    SyncPhase.NOT_ENROLLED: "本机尚未在街道中心登记",
    SyncPhase.IDLE: "正常",
    SyncPhase.SYNCING: "同步中",
    SyncPhase.DEGRADED: "连接失败，稍后自动重试",
    SyncPhase.ERROR: "出错，需要管理员处理",
}


@dataclass(frozen=True)
class WindowRow:
    number: int
    name: str
    status: WindowStatus
    current: str | None  # the ticket number at the window, if any
    has_keypad: bool


def window_board(engine: Any) -> list[WindowRow]:
    """Each window's state and current ticket, for the staff screen's software caller."""
    config: HallConfig = engine.config

    def q(s: Session) -> list[WindowRow]:
        rows = []
        for w in config.windows:
            ws = s.get(m.WindowState, w.number)
            current = None
            if ws is not None and ws.current_handling_id:
                h = s.get(m.Handling, ws.current_handling_id)
                t = s.get(m.Ticket, h.ticket_id) if h is not None else None
                if h is not None and h.finished_at is None and t is not None:
                    current = t.number
            rows.append(
                WindowRow(
                    w.number,
                    w.name,
                    WindowStatus(ws.status) if ws else WindowStatus.OPEN,
                    current,
                    w.keypad is not None,
                )
            )
        return rows

    return engine.db.read(q)


def date_text(local_now: dt.datetime) -> str:
    return f"{local_now.year}年{local_now.month}月{local_now.day}日 星期{WEEKDAYS[local_now.weekday()]}"


def hours_text(config: HallConfig) -> str:
    parts = []
    for i, s in enumerate(config.sessions):
        label = ("上午", "下午", "晚上")[min(i, 2)] if len(config.sessions) > 1 else ""
        parts.append(f"{label} {s.start:%H:%M}–{s.end:%H:%M}".strip())
    return "　".join(parts)


def next_opening_text(when: dt.datetime | None, today: dt.date) -> str:
    if when is None:
        return ""
    day = when.date()
    if day == today:
        prefix = "今天"
    elif day == today + dt.timedelta(days=1):
        prefix = "明天"
    else:
        prefix = f"{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"
    return f"下次开始取号：{prefix} {when:%H:%M}"


def wait_text(waiting: int, low: int, high: int) -> str:
    if waiting == 0:
        return "无需等候"
    return f"等候 {waiting} 人 · 约 {low}–{high} 分钟"


def priority_line(config: HallConfig) -> str:
    """Who may use 绿色通道, as the hall configured it (the button's subtitle)."""
    return " · ".join(c.label for c in config.priority.categories) or "暂无优先通道"


def windows_text(windows: list[int]) -> str:
    return "、".join(str(w) for w in windows) + " 号窗口" if windows else "服务窗口"


def promise_text(days: int) -> str:
    return "即办件，当场办结" if days == 0 else f"{days} 个工作日内办结"


def material_lines(service: Service) -> list[str]:
    lines = []
    for i, mat in enumerate(service.guide.materials, 1):
        qty = f" {mat.quantity} 份" if mat.form in ("复印件", "原件及复印件") else ""
        if mat.quantity > 1 and mat.form in ("原件", "电子材料"):
            qty = f" {mat.quantity} 张" if "照片" in mat.name else f" {mat.quantity} 份"
        note = f"（{mat.note}）" if mat.note else ""
        lines.append(f"{i}. {mat.name}　{mat.form}{qty}{note}")
    return lines


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def keypad_line(k: Any, now: dt.datetime) -> str:
    """One keypad on the staff screen: window, address, last answer, silent, frames not understood."""
    flag = "　[color=#C62828]无响应[/color]" if k.silent else ""
    if k.not_understood:
        # Frames arrive but none is a known key: almost always a keypad of another vendor (key_map).
        flag += f"　[color=#C62828]无法识别 {k.not_understood} 帧（按键码与配置不符？）[/color]"
    return f"　{k.window} 号窗口（地址 {k.address}）：最近应答 {ago_text(k.last_seen, now)}{flag}"


def ago_text(when: dt.datetime | None, now: dt.datetime) -> str:
    if when is None:
        return "从未"
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} 秒前"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前"
    return f"{seconds // 3600} 小时前"


def board_lines(boards: Any, now: dt.datetime) -> list[str]:
    """The staff screen's lines about the call board: its address, then every board and window screen
    that watches the hall, connected or when it was last seen."""
    if boards is None:
        return []
    if boards.error:
        return [f"[b]综合屏[/b]：[color=#C62828]{boards.error}[/color]"]
    online = sum(1 for c in boards.clients if c.connected)
    lines = [f"[b]综合屏[/b]：{boards.url}，{online} 块屏已连接"]
    for c in boards.clients:
        page = "综合屏" if c.page == "board" else c.page.replace("window ", "") + " 号窗口屏"
        seen = (
            "在线" if c.connected else f"[color=#C62828]已断开[/color]，最近在线 {ago_text(c.last_seen, now)}"
        )
        lines.append(f"　{page}（{c.address}）：{seen}")
    return lines


def health_lines(h: Health, now: dt.datetime) -> list[str]:
    """The staff screen's device and sync panel, in Chinese (Kivy markup). ``now`` is the wall clock:
    devices and sync stamp their times with it, not with the hall's (demo) clock."""
    printer = PRINTER_STATES.get(h.printer_state, h.printer_state)
    lines = [
        f"[b]打印机[/b]：{printer}" + (f"（{h.printer_message}）" if h.printer_message != "正常" else "")
    ]
    if h.printer_action:
        lines.append(f"　处理：{h.printer_action}")
    for bus in h.buses:
        lines.append(
            f"[b]评价器总线 {bus.name}[/b]：{BUS_STATES.get(bus.state, bus.state)}"
            + (f"，{bus.last_error}" if bus.last_error else "")
        )
        lines.extend(keypad_line(k, now) for k in bus.keypads)
    if not h.buses:
        lines.append("[b]评价器[/b]：未配置（用下方软件呼叫器）")
    s = h.sync
    last_ok = ago_text(s.last_success, now)
    lines.append(f"[b]同步到街道中心[/b]：{SYNC_STATES[s.state]}，待上传 {s.backlog} 条，最近成功 {last_ok}")
    if s.last_error:
        lines.append(f"　最近错误：{s.last_error}")
    lines.append("[b]数据库[/b]：" + (f"[color=#C62828]{h.db_error}[/color]" if h.db_error else "正常"))
    return lines
