"""HTML of the night's summary: the street (all halls side by side) and one page per hall."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from pathlib import Path
from string import Template
from typing import Any

from kiosk.engine.summary import Figures
from sync.centre import svg
from sync.centre.figures import SHANGHAI, HallNight, StreetNight
from sync.centre.followups import FollowupView

_TEMPLATES = Path(__file__).resolve().parent / "templates"
WEEKDAYS = "一二三四五六日"
LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
KIND = {"callback": "回访", "rectification": "整改", "promised": "承诺件"}
Links = Callable[[str], str]  # hall id → URL of its page
FormAction = Callable[[str, str], str]  # (hall id, follow-up id) → URL the result form posts to


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


def _page(title: str, heading: str, crumbs: str, meta: str, body: str) -> str:
    page = Template((_TEMPLATES / "page.html").read_text(encoding="utf-8"))
    style = (_TEMPLATES / "summary.css").read_text(encoding="utf-8")
    return page.substitute(
        title=escape(title), heading=escape(heading), crumbs=crumbs, meta=meta, body=body, style=style
    )


def _day_label(day: dt.date) -> str:
    return f"{day.isoformat()}（星期{WEEKDAYS[day.weekday()]}）"


def _cards(f: Figures, extra: list[tuple[str, str, str]]) -> str:
    cards = [
        ("取号", str(f.issued), f"叫号 {f.called}"),
        ("办结", str(f.finished), f"材料不全 {f.materials_incomplete} · 承诺件 {f.promised}"),
        ("过号", str(f.no_show), f"移除 {f.removed}"),
        ("平均等候（分）", mins(f.wait_mean_s), f"P90 {mins(f.wait_p90_s)}"),
        ("平均办理（分）", mins(f.service_mean_s), f"P90 {mins(f.service_p90_s)}"),
        ("评价率", pct(f.evaluation_rate), f"已评价 {f.rated} / 办结 {f.finished}"),
        ("满意率", pct(f.satisfaction_rate), f"满意 {f.satisfied} / 已评价 {f.rated}"),
        *extra,
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="l">{escape(label)}</div><div class="v">{value}</div>'
            f'<div class="s">{escape(sub)}</div></div>'
            for label, value, sub in cards[:8]
        )
        + "</div>"
    )


def _figure_cells(f: Figures) -> str:
    cells = [
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
    return "".join(f"<td>{c}</td>" for c in cells)


FIG_HEAD = (
    "<th>取号</th><th>办结</th><th>过号</th><th>平均等候</th><th>P90等候</th><th>平均办理</th>"
    "<th>P90办理</th><th>评价率</th><th>满意率</th><th>差评</th>"
)


def _rank_key(f: Figures) -> tuple[float, float, int]:
    return (
        -(f.satisfaction_rate if f.satisfaction_rate is not None else -1),
        -(f.evaluation_rate if f.evaluation_rate is not None else -1),
        -f.issued,
    )


def _skew(seconds: float | None) -> str:
    """A kiosk clock more than two minutes off: its times on tickets are wrong (ordering is not affected)."""
    if seconds is None or abs(seconds) < 120:
        return ""
    return f' <span class="tag warn" title="自助机时钟与中心相差">时钟偏差 {-seconds / 60:+.0f} 分</span>'


def _check(matches: bool | None) -> str:
    """Whether the kiosk's own 日结 figures (when it sent them) equal the centre's."""
    if matches is None:
        return ""
    if matches:
        return ' <span class="tag ok" title="与自助机日结核对一致">核对一致</span>'
    return ' <span class="tag bad" title="与自助机日结数字不一致">核对不一致</span>'


def _halls_table(night: StreetNight, link: Links) -> str:
    rows = []
    for i, h in enumerate(sorted(night.halls, key=lambda h: _rank_key(h.figures)), 1):
        sync = (
            '<span class="tag ok">已同步</span>' + _check(h.matches_kiosk) + _skew(h.clock_skew_s)
            if h.synced
            else f'<span class="tag bad">未同步日结</span> <span class="muted">最后上传 {local(h.last_push_at)}</span>'
        )
        overdue = len(h.overdue_promised)
        overdue_cell = f"<span class='tag bad'>{overdue}</span>" if overdue else "0"
        rows.append(
            f'<tr class="{"" if h.synced else "nosync"}"><td class="rank">{i}</td>'
            f'<td class="l"><a href="{escape(link(h.hall_id))}">{escape(h.hall_name)}</a></td>'
            f'<td class="l">{sync}</td>{_figure_cells(h.figures)}'
            f"<td>{overdue_cell}</td></tr>"
        )
    total = (
        f'<tr><td></td><td class="l"><b>全街道</b></td><td></td>{_figure_cells(night.street)}<td></td></tr>'
    )
    return (
        "<section><h2>各社区对比<small>按满意率排名，其次评价率；时间单位：分钟</small></h2><table>"
        f'<tr><th>#</th><th class="l">社区</th><th class="l">同步</th>{FIG_HEAD}<th>超期承诺件</th></tr>'
        + "".join(rows)
        + total
        + "</table></section>"
    )


def _windows(halls: list[HallNight], with_hall: bool) -> list[tuple[str, str, Figures]]:
    out = []
    for h in halls:
        for n, f in h.summary.windows.items():
            out.append((h.hall_name if with_hall else "", f"{n}号窗口", f))
    return sorted(out, key=lambda w: _rank_key(w[2]))


def _windows_table(rows: list[tuple[str, str, Figures]], title: str) -> str:
    head = (
        "<th>#</th>" + ('<th class="l">社区</th>' if rows and rows[0][0] else "") + '<th class="l">窗口</th>'
    )
    body = []
    for i, (hall, win, f) in enumerate(rows, 1):
        cells = (
            f"<td>{f.called}</td><td>{f.finished}</td><td>{f.no_show}</td><td>{mins(f.service_mean_s)}</td>"
        )
        cells += f"<td>{f.rated}</td><td>{pct(f.evaluation_rate)}</td><td>{pct(f.satisfaction_rate)}</td>"
        cells += f"<td>{f.dissatisfied}</td>"
        hall_cell = f'<td class="l">{escape(hall)}</td>' if hall else ""
        body.append(f'<tr><td class="rank">{i}</td>{hall_cell}<td class="l">{win}</td>{cells}</tr>')
    return (
        f"<section><h2>{escape(title)}<small>按满意率排名</small></h2><table><tr>{head}<th>叫号</th><th>办结</th>"
        "<th>过号</th><th>平均办理</th><th>已评价</th><th>评价率</th><th>满意率</th><th>差评</th></tr>"
        + "".join(body)
        + "</table></section>"
    )


def _fu_cell(views: list[FollowupView], kind: str, as_of: dt.date, form: FormAction | None = None) -> str:
    v = next((v for v in views if v.data.get("kind") == kind), None)
    if v is None:
        return '<td class="l"><span class="tag bad">未建立</span></td>'
    due = v.data.get("due_date") or "—"
    if v.done:
        last = v.results[-1]["result"] if v.results else (v.data.get("result") or "")
        return f'<td class="l"><span class="tag ok">已完成</span> {escape(str(last))[:40]}</td>'
    tag = '<span class="tag bad">已超期</span>' if v.overdue(as_of) else '<span class="tag warn">待办</span>'
    cell = f"{tag} 期限 {escape(str(due))} <code>{escape(v.data['id'][:8])}</code>"
    if v.results:
        cell += f"<br><small>{escape(str(v.results[-1]['result']))[:40]}</small>"
    if form is not None:
        cell += _result_form(form(v.hall_id, str(v.data["id"])), kind)
    return f'<td class="l">{cell}</td>'


def _result_form(action: str, kind: str) -> str:
    """Record what the callback or rectification found, as the staff member the proxy logged in."""
    return (
        f"<form class='fu' method='post' action='{escape(action)}'>"
        f"<input type='hidden' name='action' value='{escape(kind)}'>"
        f"<input name='result' required maxlength='500' placeholder='{KIND[kind]}结果'>"
        "<label><input type='checkbox' name='done' value='1' checked>已完成</label>"
        "<button>记录</button></form>"
    )


def _dissatisfied_table(
    halls: list[HallNight], as_of: dt.date, with_hall: bool, form: FormAction | None = None
) -> str:
    rows = []
    for h in halls:
        for d in h.dissatisfied:
            hall_cell = f'<td class="l">{escape(h.hall_name)}</td>' if with_hall else ""
            rows.append(
                f"<tr>{hall_cell}<td class='l'>{escape(d['number'])}</td><td>{d['window']}号</td>"
                f"<td class='l'>{escape(h.service_name(d['service_code']))}</td><td class='l'>{LEVELS.get(d['level'], d['level'])}</td>"
                f"<td>{local(d['rated_at'])}</td>{_fu_cell(d['followups'], 'callback', as_of, form)}"
                f"{_fu_cell(d['followups'], 'rectification', as_of, form)}</tr>"
            )
    if not rows:
        return "<section><h2>差评及回访整改</h2><p class='muted'>当日无差评。</p></section>"
    head = '<th class="l">社区</th>' if with_hall else ""
    return (
        "<section><h2>差评及回访整改<small>每条差评须回访（1个工作日）并整改（15个工作日）；"
        + ("在下方填写结果" if form else "记录结果：street-centre followup --hall … --id …")
        + "</small></h2><table>"
        f"<tr>{head}<th class='l'>号票</th><th>窗口</th><th class='l'>事项</th><th class='l'>评价</th><th>评价时间</th>"
        "<th class='l'>回访</th><th class='l'>整改</th></tr>" + "".join(rows) + "</table></section>"
    )


def _overdue_table(halls: list[HallNight], as_of: dt.date, with_hall: bool) -> str:
    rows = []
    for h in halls:
        for v in h.overdue_promised + h.overdue_followups:
            due = dt.date.fromisoformat(str(v.data["due_date"]))
            hall_cell = f'<td class="l">{escape(h.hall_name)}</td>' if with_hall else ""
            rows.append(
                f"<tr>{hall_cell}<td class='l'>{KIND.get(v.data['kind'], v.data['kind'])}</td>"
                f"<td class='l'>{escape(h.service_name(v.data['service_code']))}</td><td>{v.data['window_number']}号</td>"
                f"<td>{escape(str(v.data['business_date']))}</td><td>{due.isoformat()}</td>"
                f"<td><span class='tag bad'>{(as_of - due).days} 天</span></td>"
                f"<td class='l'><code>{escape(v.data['id'])}</code></td></tr>"
            )
    if not rows:
        return "<section><h2>超期未办结</h2><p class='muted'>没有超期的承诺件、回访或整改。</p></section>"
    head = '<th class="l">社区</th>' if with_hall else ""
    return (
        f"<section><h2>超期未办结<small>截至 {as_of.isoformat()}：承诺件及回访、整改</small></h2><table>"
        f"<tr>{head}<th class='l'>类别</th><th class='l'>事项</th><th>窗口</th><th>受理日</th><th>期限</th>"
        "<th>超期</th><th class='l'>编号</th></tr>" + "".join(rows) + "</table></section>"
    )


def _alerts(night: StreetNight, halls: list[HallNight], one_hall: bool = False) -> str:
    items = []
    missing = [h for h in halls if not h.synced]
    if missing:
        names = "、".join(h.hall_name for h in missing)
        items.append(f'<div class="alert bad">未同步日结：{escape(names)}（数字可能不全）</div>')
    else:
        items.append(f'<div class="alert ok">{"本社区" if one_hall else "所有社区"}已同步日结</div>')
    overdue = sum(len(h.overdue_promised) for h in halls)
    if overdue:
        items.append(f'<div class="alert bad">超期承诺件 {overdue} 件</div>')
    open_bad = sum(1 for h in halls for d in h.dissatisfied if not all(v.done for v in d["followups"]))
    late = sum(1 for h in halls for d in h.dissatisfied if d["overdue"])
    if open_bad:
        items.append(f'<div class="alert warn">差评待回访/整改 {open_bad} 条，其中超期 {late} 条</div>')
    return '<div class="alerts">' + "".join(items) + "</div>"


def render_street(night: StreetNight, link: Links, form: FormAction | None = None) -> str:
    f = night.street
    bad = sum(len(h.dissatisfied) for h in night.halls)
    body = _alerts(night, night.halls) + _cards(f, [("差评", str(bad), f"社区 {len(night.halls)} 个")])
    by_hall = [(h.hall_name, h.figures.satisfaction_rate, f"({h.figures.rated})") for h in night.halls]
    wins = _windows(night.halls, with_hall=True)
    worst = [(f"{hall} {win}", w.satisfaction_rate, f"({w.rated})") for hall, win, w in wins[-12:]]
    body += '<div class="charts"><section>' + svg.hourly_chart(
        night.hourly.arrivals, night.hourly.wait_min, "全街道 每小时取号与平均等候"
    )
    body += "</section><section>" + svg.rate_bars(
        sorted(by_hall, key=lambda x: -(x[1] or 0)), "满意率（按社区）"
    )
    body += "</section></div>"
    body += _halls_table(night, link)
    body += '<div class="charts"><section>' + svg.rate_bars(worst, "满意率最低的窗口") + "</section>"
    body += (
        "<section>"
        + svg.rate_bars(
            [(f"{h} {w}", x.satisfaction_rate, f"({x.rated})") for h, w, x in wins[:12]], "满意率最高的窗口"
        )
        + "</section></div>"
    )
    body += _dissatisfied_table(night.halls, night.as_of, with_hall=True, form=form)
    body += _overdue_table(night.halls, night.as_of, with_hall=True)
    body += _windows_table(wins, "各窗口排名（全街道）")
    meta = f"生成于 {local(night.generated_at)} · 导出：<a href='{escape(link('.csv'))}'>CSV</a>"
    return _page(
        f"街道夜间汇总 {night.day}",
        f"街道公共服务中心 · 夜间汇总 {_day_label(night.day)}",
        "全街道",
        meta,
        body,
    )


def render_hall(night: StreetNight, hall: HallNight, link: Links, form: FormAction | None = None) -> str:
    f = hall.figures
    body = _alerts(night, [hall], one_hall=True) + _cards(
        f, [("差评", str(len(hall.dissatisfied)), f"忽略按键 {f.ignored_presses}")]
    )
    wins = _windows([hall], with_hall=False)
    body += '<div class="charts"><section>' + svg.hourly_chart(
        hall.hourly.arrivals, hall.hourly.wait_min, "每小时取号与平均等候"
    )
    body += (
        "</section><section>"
        + svg.rate_bars([(w, x.satisfaction_rate, f"({x.rated})") for _, w, x in wins], "满意率（按窗口）")
        + "</section></div>"
    )
    body += _windows_table(wins, "窗口排名")
    services = sorted(hall.summary.services.items())
    rows = "".join(
        f"<tr><td class='l'>{escape(hall.service_name(code))}</td>{_figure_cells(s)}</tr>"
        for code, s in services
    )
    body += (
        f"<section><h2>按事项</h2><table><tr><th class='l'>事项</th>{FIG_HEAD}</tr>{rows}</table></section>"
    )
    body += _dissatisfied_table([hall], night.as_of, with_hall=False, form=form)
    body += _overdue_table([hall], night.as_of, with_hall=False)
    crumbs = f"<a href='{escape(link(''))}'>全街道</a> › {escape(hall.hall_name)}"
    checks: dict[bool | None, str] = {True: "，与自助机日结一致", False: "，与自助机日结不一致！", None: ""}
    sync = ("已同步日结" if hall.synced else "未同步日结") + checks[hall.matches_kiosk]
    skew = "" if hall.clock_skew_s is None else f" · 时钟偏差 {-hall.clock_skew_s:+.0f} 秒"
    meta = f"{sync} · 最后上传 {local(hall.last_push_at)} · 自助机 {escape(', '.join(hall.kiosks))}{skew}"
    return _page(
        f"{hall.hall_name} {night.day}",
        f"{hall.hall_name} · 日结 {_day_label(night.day)}",
        crumbs,
        meta,
        body,
    )
