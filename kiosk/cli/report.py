"""Plain-text day summary for the terminal."""

from __future__ import annotations

from kiosk.config.schema import HallConfig
from kiosk.engine.ratings import LEVEL_LABELS
from kiosk.engine.summary import DaySummary, Figures


def _pct(v: float | None) -> str:
    return "   —  " if v is None else f"{v * 100:5.1f}%"


def _min(v: float | None) -> str:
    return "  —  " if v is None else f"{v / 60:5.1f}"


def _line(label: str, f: Figures) -> str:
    return (
        f"{label:<14}{f.issued:>5}{f.finished:>6}{f.no_show:>6}{f.removed:>6}"
        f"{_min(f.wait_mean_s):>8}{_min(f.wait_p90_s):>8}{_min(f.service_mean_s):>8}"
        f"{f.rated:>6}{_pct(f.evaluation_rate):>8}{_pct(f.satisfaction_rate):>8}"
    )


def format_summary(config: HallConfig, s: DaySummary) -> str:
    head = (
        f"{'':<14}{'取号':>4}{'办结':>4}{'过号':>4}{'清除':>4}"
        f"{'均等候':>5}{'P90等候':>6}{'均办理':>5}{'已评':>4}{'评价率':>5}{'满意率':>5}"
    )
    out = [f"{config.name}  日结 {s.business_date}  （时间单位：分钟）", head, _line("全中心", s.hall)]
    for number, f in sorted(s.windows.items()):
        out.append(_line(f"{number}号窗口", f))
    for code, f in sorted(s.services.items()):
        out.append(
            _line(config.service(code).name[:7] if code in {x.code for x in config.services} else code, f)
        )
    out.append(
        f"差评 {len(s.dissatisfied)} 条；待回访/整改 {s.followups_open} 条，逾期 {s.followups_overdue} 条；逾期承诺件 {s.promised_overdue} 件"
    )
    for d in s.dissatisfied:
        out.append(
            f"  {d['number']}  {d['window']}号窗口  {LEVEL_LABELS.get(d['level'], '')}  {d['rated_at']}"
        )
    return "\n".join(out)
