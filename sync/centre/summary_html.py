"""HTML of the night's summary: the street (all halls side by side) and one page per hall.

What the pages show is prepared here per hall, as plain strings and numbers, and drawn by the Jinja
templates (``templates/street.html``, ``hall.html``, ``summary.html``) with autoescape. A hall whose
records cannot be prepared is shown as such, with the reason, while the other halls render."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.centre import charts, pages
from sync.centre.figures import SHANGHAI, HallNight, StreetNight, broken_reason
from sync.centre.followups import FollowupView
from sync.contract.figures import Figures

log = logging.getLogger(__name__)
WEEKDAYS = "一二三四五六日"
LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
KIND = {"callback": "回访", "rectification": "整改", "promised": "承诺件"}
Links = Callable[[str], str]  # hall id → URL of its page
FormAction = Callable[[str, str], str]  # (hall id, follow-up id) → URL the result form posts to
FIG_HEAD = ["取号", "办结", "过号", "平均等候", "P90等候", "平均办理", "P90办理", "评价率", "满意率", "差评"]


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def mins(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def local(iso: Any) -> str:
    if not iso:
        return "—"
    at = iso if isinstance(iso, dt.datetime) else dt.datetime.fromisoformat(str(iso))
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _day_label(day: dt.date) -> str:
    return f"{day.isoformat()}（星期{WEEKDAYS[day.weekday()]}）"


def figure_cells(f: Figures) -> list[str]:
    return [
        str(f.issued),
        str(f.finished),
        str(f.no_show),
        mins(f.wait_mean_s),
        mins(f.wait_p90_s),
        mins(f.service_mean_s),
        mins(f.service_p90_s),
        pct(f.evaluation_rate),
        pct(f.satisfaction_rate),
        str(f.dissatisfied),
    ]


def cards(f: Figures, extra: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    return [
        ("取号", str(f.issued), f"叫号 {f.called}"),
        ("办结", str(f.finished), f"材料不全 {f.materials_incomplete} · 承诺件 {f.promised}"),
        ("过号", str(f.no_show), f"移除 {f.removed}"),
        ("平均等候（分）", mins(f.wait_mean_s), f"P90 {mins(f.wait_p90_s)}"),
        ("平均办理（分）", mins(f.service_mean_s), f"P90 {mins(f.service_p90_s)}"),
        ("评价率", pct(f.evaluation_rate), f"已评价 {f.rated} / 办结 {f.finished}"),
        ("满意率", pct(f.satisfaction_rate), f"满意 {f.satisfied} / 已评价 {f.rated}"),
        extra,
    ]


def _rank_key(f: Figures) -> tuple[float, float, int]:
    return (
        -(f.satisfaction_rate if f.satisfaction_rate is not None else -1),
        -(f.evaluation_rate if f.evaluation_rate is not None else -1),
        -f.issued,
    )


@dataclass
class WindowRow:
    hall: str
    window: str
    figures: Figures

    @property
    def cells(self) -> list[str]:
        f = self.figures
        return [
            str(f.called),
            str(f.finished),
            str(f.no_show),
            mins(f.service_mean_s),
            str(f.rated),
            pct(f.evaluation_rate),
            pct(f.satisfaction_rate),
            str(f.dissatisfied),
        ]


@dataclass
class FollowupCell:
    state: str  # missing | done | open | overdue
    due: str = ""
    short_id: str = ""
    last_result: str = ""
    form_action: str | None = None
    kind: str = ""
    kind_label: str = ""


@dataclass
class DissatisfiedRow:
    hall: str
    number: str
    window: str
    service: str
    level: str
    rated_at: str
    callback: FollowupCell
    rectification: FollowupCell


@dataclass
class OverdueRow:
    hall: str
    kind: str
    service: str
    window: str
    accepted: str
    due: str
    days: int
    id: str


@dataclass
class HallView:
    """One hall, ready to draw: only strings and numbers (or, when it broke, the reason)."""

    hall_id: str
    name: str
    link: str
    error: str | None = None
    night: HallNight | None = None
    sync_cells: dict[str, Any] = field(default_factory=dict)
    windows: list[WindowRow] = field(default_factory=list)
    services: list[tuple[str, list[str]]] = field(default_factory=list)
    dissatisfied: list[DissatisfiedRow] = field(default_factory=list)
    overdue: list[OverdueRow] = field(default_factory=list)
    open_bad: int = 0
    late_bad: int = 0
    overdue_promised: int = 0
    overdue_count: int = 0
    last_push: str = "—"


def _fu_cell(views: list[FollowupView], kind: str, as_of: dt.date, form: FormAction | None) -> FollowupCell:
    v = next((v for v in views if v.data.get("kind") == kind), None)
    if v is None:
        return FollowupCell("missing")
    if v.done:
        last = v.results[-1]["result"] if v.results else (v.data.get("result") or "")
        return FollowupCell("done", last_result=str(last)[:40])
    return FollowupCell(
        "overdue" if v.overdue(as_of) else "open",
        due=str(v.data.get("due_date") or "—"),
        short_id=str(v.data["id"])[:8],
        last_result=str(v.results[-1]["result"])[:40] if v.results else "",
        form_action=None if form is None else form(v.hall_id, str(v.data["id"])),
        kind=kind,
        kind_label=KIND[kind],
    )


def hall_view(
    h: HallNight, as_of: dt.date, link: Links, form: FormAction | None, details: bool = True
) -> HallView:
    """Everything the pages show of one hall; any failure is this hall's alone (see `safe_hall_view`)."""
    view = HallView(h.hall_id, h.hall_name, link(h.hall_id), error=h.error, night=h)
    view.last_push = local(h.last_push_at)
    if h.error:
        return view
    skew = h.clock_skew_s
    view.sync_cells = {
        "synced": h.synced,
        "matches": h.matches_kiosk,
        "skew_minutes": f"{-skew / 60:+.0f}" if skew is not None and abs(skew) >= 120 else "",
    }
    view.windows = [WindowRow(h.hall_name, f"{n}号窗口", f) for n, f in h.summary.windows.items()]
    view.services = [
        (h.service_name(code), figure_cells(s)) for code, s in sorted(h.summary.services.items())
    ]
    # the street page counts them (a night of 200 halls has thousands); the hall page lists them
    for d in h.dissatisfied if details else []:
        view.dissatisfied.append(
            DissatisfiedRow(
                h.hall_name,
                str(d["number"]),
                f"{d['window']}号",
                h.service_name(d["service_code"]),
                LEVELS.get(d["level"], str(d["level"])),
                local(d["rated_at"]),
                _fu_cell(d["followups"], "callback", as_of, form),
                _fu_cell(d["followups"], "rectification", as_of, form),
            )
        )
    for v in h.overdue_promised + h.overdue_followups if details else []:
        due = dt.date.fromisoformat(str(v.data["due_date"]))
        view.overdue.append(
            OverdueRow(
                h.hall_name,
                KIND.get(v.data["kind"], str(v.data["kind"])),
                h.service_name(v.data["service_code"]),
                f"{v.data['window_number']}号",
                str(v.data["business_date"]),
                due.isoformat(),
                (as_of - due).days,
                str(v.data["id"]),
            )
        )
    if details:
        view.open_bad = sum(1 for d in h.dissatisfied if not all(v.done for v in d["followups"]))
        view.late_bad = sum(1 for d in h.dissatisfied if d["overdue"])
        view.overdue_promised = len(h.overdue_promised)
        view.overdue_count = len(h.overdue_promised) + len(h.overdue_followups)
    else:  # counted by the database: the street page lists no items
        t = h.tallies
        view.open_bad, view.late_bad = t.get("followups_open", 0), t.get("followups_late", 0)
        view.overdue_promised = t.get("overdue_promised", 0)
        view.overdue_count = view.overdue_promised + t.get("overdue_other", 0)
    return view


def safe_hall_view(
    h: HallNight, as_of: dt.date, link: Links, form: FormAction | None, details: bool = True
) -> HallView:
    try:
        return hall_view(h, as_of, link, form, details)
    except Exception as exc:  # a record the page cannot show: this hall says so, the others render
        log.exception("hall %s cannot be shown", h.hall_id)
        return HallView(h.hall_id, h.hall_name, link(h.hall_id), error=broken_reason(exc))


def _ranked(views: list[HallView]) -> list[HallView]:
    good = [v for v in views if v.error is None and v.night is not None]
    good.sort(key=lambda v: _rank_key(v.night.summary.hall))  # type: ignore[union-attr]
    return good + [v for v in views if v.error is not None]


def _windows(views: list[HallView]) -> list[WindowRow]:
    return sorted((w for v in views for w in v.windows), key=lambda w: _rank_key(w.figures))


def _common(
    night: StreetNight, views: list[HallView], link: Links, form: FormAction | None
) -> dict[str, Any]:
    return {
        "night": night,
        "as_of": night.as_of.isoformat(),
        "halls": views,
        "broken": [v for v in views if v.error],
        "missing": [v.name for v in views if v.night is not None and not v.night.synced],
        "overdue_promised": sum(v.overdue_promised for v in views),
        "open_bad": sum(v.open_bad for v in views),
        "late_bad": sum(v.late_bad for v in views),
        "dissatisfied": [r for v in views for r in v.dissatisfied],
        "overdue": [r for v in views for r in v.overdue],
        "form": form is not None,
        "link": link,
        "fig_head": FIG_HEAD,
        "figure_cells": figure_cells,
        "local": local,
        "font": charts.FONT,
        "colours": {"bar": charts.BAR, "line": charts.LINE},
    }


def render_street(night: StreetNight, link: Links, form: FormAction | None = None) -> str:
    views = [safe_hall_view(h, night.as_of, link, form, details=False) for h in night.halls]
    shown = [v for v in views if v.error is None and v.night is not None]
    wins = _windows(shown)
    by_hall = [(v.name, v.night.figures.satisfaction_rate, f"({v.night.figures.rated})") for v in shown]  # type: ignore[union-attr]
    rate = lambda w: (f"{w.hall} {w.window}", w.figures.satisfaction_rate, f"({w.figures.rated})")  # noqa: E731
    bad = sum(len(h.dissatisfied) for h in night.halls)
    return pages.render(
        "street.html",
        **_common(night, views, link, form),
        title=f"街道夜间汇总 {night.day}",
        heading=f"街道公共服务中心 · 夜间汇总 {_day_label(night.day)}",
        generated=local(night.generated_at),
        cards=cards(night.street, ("差评", str(bad), f"社区 {len(night.halls)} 个")),
        ranked=_ranked(views),
        street_cells=figure_cells(night.street),
        windows=wins,
        hourly=charts.hourly_chart(
            night.hourly.arrivals, night.hourly.wait_min, "全街道 每小时取号与平均等候"
        ),
        by_hall=charts.rate_bars(sorted(by_hall, key=lambda x: -(x[1] or 0)), "满意率（按社区）"),
        worst=charts.rate_bars([rate(w) for w in wins[-12:]], "满意率最低的窗口"),
        best=charts.rate_bars([rate(w) for w in wins[:12]], "满意率最高的窗口"),
    )


def render_hall(night: StreetNight, hall: HallNight, link: Links, form: FormAction | None = None) -> str:
    view = safe_hall_view(hall, night.as_of, link, form)
    f = hall.figures
    checks: dict[bool | None, str] = {True: "，与自助机日结一致", False: "，与自助机日结不一致！", None: ""}
    sync = ("已同步日结" if hall.synced else "未同步日结") + checks[hall.matches_kiosk]
    skew = "" if hall.clock_skew_s is None else f" · 时钟偏差 {-hall.clock_skew_s:+.0f} 秒"
    return pages.render(
        "hall.html",
        **_common(night, [view], link, form),
        hall=view,
        title=f"{hall.hall_name} {night.day}",
        heading=f"{hall.hall_name} · 日结 {_day_label(night.day)}",
        street_link=link(""),
        meta=f"{sync} · 最后上传 {view.last_push} · 自助机 {', '.join(hall.kiosks)}{skew}",
        cards=cards(f, ("差评", str(len(view.dissatisfied)), f"忽略按键 {f.ignored_presses}")),
        windows=_windows([view]),
        hourly=charts.hourly_chart(hall.hourly.arrivals, hall.hourly.wait_min, "每小时取号与平均等候"),
        by_window=charts.rate_bars(
            [(w.window, w.figures.satisfaction_rate, f"({w.figures.rated})") for w in _windows([view])],
            "满意率（按窗口）",
        ),
    )
