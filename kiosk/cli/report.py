"""The day summary as terminal tables (kiosk-admin summary, walkthrough, simulate-day).

rich measures each cell by its East Asian width (a 汉字 takes two columns), so Chinese labels and
figures line up whatever the mix; hand-padding with ``:<14`` counts characters, not columns.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.table import Table

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import local
from kiosk.engine.ratings import LEVEL_LABELS
from sync.contract.figures import DaySummary, Figures

FOLLOWUP_KINDS = {"callback": "回访", "rectification": "整改", "promised": "承诺件办结"}
"""Follow-up kinds as staff call them."""

WIDTH = 120


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _min(v: float | None) -> str:
    return "—" if v is None else f"{v / 60:.1f}"


def render(*tables: Table | str) -> str:
    """Tables (and lines) as plain text: no colours, no terminal needed, the same on a pipe."""
    buf = io.StringIO()
    console = Console(file=buf, width=WIDTH, color_system=None, force_terminal=False, highlight=False)
    for t in tables:
        console.print(t)
    return buf.getvalue().rstrip("\n")


def _figures_table(rows: Iterable[tuple[str, Figures]]) -> Table:
    table = Table(box=box.SQUARE, show_edge=True, pad_edge=True)
    table.add_column("", no_wrap=True)
    for head in ("取号", "办结", "过号", "清除", "均等候", "P90等候", "均办理", "已评", "评价率", "满意率"):
        table.add_column(head, justify="right", no_wrap=True)
    for label, f in rows:
        table.add_row(
            label,
            str(f.issued),
            str(f.finished),
            str(f.no_show),
            str(f.removed),
            _min(f.wait_mean_s),
            _min(f.wait_p90_s),
            _min(f.service_mean_s),
            str(f.rated),
            _pct(f.evaluation_rate),
            _pct(f.satisfaction_rate),
        )
    return table


def local_time(iso: str | None, tz: str) -> str:
    """A stored UTC instant as the hall's wall clock (HH:MM)."""
    if not iso:
        return "—"
    return f"{local(dt.datetime.fromisoformat(iso), tz):%H:%M}"


def format_summary(config: HallConfig, s: DaySummary) -> str:
    names = {x.code: x.name for x in config.services}
    rows = [("全中心", s.hall)]
    rows += [(f"{number}号窗口", f) for number, f in sorted(s.windows.items())]
    rows += [(names.get(code, code), f) for code, f in sorted(s.services.items())]
    parts: list[Table | str] = [
        f"{config.name}  日结 {s.business_date}  （时间单位：分钟）",
        _figures_table(rows),
        f"差评 {len(s.dissatisfied)} 条；待回访/整改 {s.followups_open} 条，逾期 {s.followups_overdue} 条；"
        f"逾期承诺件 {s.promised_overdue} 件",
    ]
    if s.dissatisfied:
        bad = Table(box=box.SQUARE, pad_edge=True)
        for head in ("号码", "窗口", "评价", "评价时间"):
            bad.add_column(head, no_wrap=True)
        for d in s.dissatisfied:
            bad.add_row(
                d["number"],
                f"{d['window']}号窗口",
                LEVEL_LABELS.get(d["level"], ""),
                local_time(d["rated_at"], config.timezone),
            )
        parts.append(bad)
    return render(*parts)


def format_followups(rows: Iterable[tuple[str, dt.date]]) -> str:
    """Follow-up tasks with their due dates (legal working days), kinds in Chinese."""
    table = Table(box=box.SQUARE, pad_edge=True)
    table.add_column("跟进任务", no_wrap=True)
    table.add_column("完成期限（法定工作日）", no_wrap=True)
    for kind, due in rows:
        table.add_row(FOLLOWUP_KINDS.get(kind, kind), f"{due} 前")
    return render(table)
