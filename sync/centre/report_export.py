"""A period report as a table: CSV (UTF-8 with BOM, so Excel and WPS open it as Chinese) and XLSX
(openpyxl; one sheet per level: 汇总, 社区, 窗口, 工作人员, 事项, 每日)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from sync.centre.periods import FollowupRates, Line, Report, Scope
from sync.contract.figures import Figures

COLUMNS = [
    ("level", "层级"), ("period", "期间"), ("hall_id", "社区编号"), ("hall", "社区"), ("key", "窗口/工号/事项/日期"),
    ("label", "名称"), ("rank", "排名"), ("issued", "取号"), ("called", "叫号"), ("finished", "办结"),
    ("no_show", "过号"), ("wait_mean_min", "平均等候(分)"), ("wait_p90_min", "P90等候(分)"),
    ("service_mean_min", "平均办理(分)"), ("service_p90_min", "P90办理(分)"), ("rated", "已评价"),
    ("satisfied", "满意"), ("dissatisfied", "差评"), ("evaluation_rate", "评价率"), ("satisfaction_rate", "满意率"),
    ("callback_due", "应回访"), ("callback_on_time", "按期回访"), ("callback_rate", "回访及时率"),
    ("rectification_due", "应整改"), ("rectification_on_time", "按期整改"), ("rectification_rate", "整改完成率"),
    ("promised_due", "到期承诺件"), ("promised_on_time", "按期办结"), ("promised_rate", "承诺件按期办结率"),
]  # fmt: skip
SHEETS = {
    "street": "汇总",
    "hall": "社区",
    "window": "窗口",
    "staff": "工作人员",
    "service": "事项",
    "day": "每日",
}


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


def _values(
    report: Report, level: str, hall_id: str, key: str, label: str, rank: int | None, f: Figures,
    fu: FollowupRates | None,
) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {
        "level": level,
        "period": report.period.token,
        "hall_id": hall_id,
        "hall": report.hall_names.get(hall_id, hall_id) if hall_id else "全街道",
        "key": key,
        "label": label,
        "rank": rank,
        "issued": f.issued,
        "called": f.called,
        "finished": f.finished,
        "no_show": f.no_show,
        "wait_mean_min": _min(f.wait_mean_s),
        "wait_p90_min": _min(f.wait_p90_s),
        "service_mean_min": _min(f.service_mean_s),
        "service_p90_min": _min(f.service_p90_s),
        "rated": f.rated,
        "satisfied": f.satisfied,
        "dissatisfied": f.dissatisfied,
        "evaluation_rate": f.evaluation_rate,
        "satisfaction_rate": f.satisfaction_rate,
    }
    for kind in ("callback", "rectification", "promised"):
        row[f"{kind}_due"] = fu.due[kind] if fu else None
        row[f"{kind}_on_time"] = fu.on_time[kind] if fu else None
        row[f"{kind}_rate"] = getattr(fu, f"{kind}_rate") if fu else None
    return row


def rows(report: Report) -> list[dict[str, Any]]:
    top_level = "street" if report.scope == Scope.STREET else report.scope.value
    out = [
        _values(report, top_level, report.hall_id or "", report.key or "", report.title, None,
                report.figures, report.followups)
    ]  # fmt: skip
    for scope in (Scope.HALL, Scope.WINDOW, Scope.STAFF, Scope.SERVICE):
        ln: Line
        for ln in report.lines.get(scope, []):
            fu = ln.followups if scope != Scope.SERVICE else None
            rank = ln.rank if scope != Scope.SERVICE else None
            out.append(_values(report, scope.value, ln.hall_id, ln.key, ln.label, rank, ln.figures, fu))
    for day, f in report.trend:
        out.append(
            _values(report, "day", report.hall_id or "", day.isoformat(), day.isoformat(), None, f, None)
        )
    return out


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, [c for c, _ in COLUMNS], lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows(report))
    return "\ufeff" + buf.getvalue()


def _sheet(wb: Workbook, title: str, items: Iterable[dict[str, Any]], first: bool) -> None:
    ws = wb.active if first else wb.create_sheet()
    assert ws is not None
    ws.title = title
    ws.append([label for _, label in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item in items:
        ws.append([item[c] for c, _ in COLUMNS])
    for col, (name, _) in enumerate(COLUMNS, 1):
        if name.endswith("_rate"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = "0.0%"
    ws.freeze_panes = "A2"


def to_xlsx(report: Report) -> bytes:
    wb = Workbook()
    by_level: dict[str, list[dict[str, Any]]] = {}
    for r in rows(report):
        by_level.setdefault(r["level"], []).append(r)
    first = True
    for level, title in SHEETS.items():
        if level in by_level or (first and level == "street"):
            _sheet(wb, title, by_level.get(level, []), first)
            first = False
    for level, items in by_level.items():  # a window's or staff member's own report
        if level not in SHEETS:
            _sheet(wb, level, items, first)
            first = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
