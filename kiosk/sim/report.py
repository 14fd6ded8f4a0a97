"""What the run prints, and the nightly summary it writes with --report (HTML, plus a Markdown twin).

The figures are the street centre's (computed from what the centre received); the checks say they equal
the kiosk's 日结. Service names, follow-ups and 承诺件 deadlines come from the centre's rows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from kiosk.cli.report import format_summary
from kiosk.engine.clock import local
from kiosk.engine.ratings import LEVEL_LABELS
from sync.contract.figures import Figures

if TYPE_CHECKING:
    from kiosk.sim.day import DayResult

KIND = {"callback": "回访", "rectification": "整改", "promised": "承诺件办结"}
STATUS = {"open": "待办", "done": "已办"}


def print_report(r: DayResult) -> None:
    led = r.ledger
    print(f"simulated {r.day} in {r.real_seconds:.0f} s real — run directory {r.run_dir}")
    for at, text in led.timeline:
        print(f"  {at}  {text}")
    print(
        f"tickets {len(led.issued)}, double taps {led.double_taps}, refused {len(led.refused)}, "
        f"residents who waited for the dark kiosk {led.arrivals_delayed}; calls {len(led.calls)}, "
        f"finished {len(led.finished)}, no-shows {len(led.no_shows)}; rating presses {len(led.presses)}; "
        f"presses delayed for keypad spacing {led.spacing_delays}; clerk retries {led.staff_retries}"
    )
    for u in led.unexpected:
        print(f"  note: {u}")
    if r.centre_summary is not None:
        print(format_summary(r.config, r.centre_summary))
    for c in r.outcome.checks:
        print(f"[{'PASS' if c.ok else 'FAIL'}] {c.name} — {c.detail}")
    print("ALL CHECKS PASSED" if r.ok else "SOME CHECKS FAILED")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _min(v: float | None) -> str:
    return "—" if v is None else f"{v / 60:.1f}"


COLUMNS = [
    *("取号", "叫号", "办结", "材料不全", "承诺件", "过号", "日结清除", "平均等候", "P90等候"),
    *("平均办理", "已评", "未评", "评价率", "满意率", "差评"),
]


def _row(f: Figures, window: bool = False) -> list[str]:
    return [
        str(x)
        for x in (
            "—" if window else f.issued, f.called, f.finished, f.materials_incomplete, f.promised, f.no_show, "—" if window else f.removed,
            _min(f.wait_mean_s), _min(f.wait_p90_s), _min(f.service_mean_s), f.rated, f.unrated,
            _pct(f.evaluation_rate), _pct(f.satisfaction_rate), f.dissatisfied,
        )
    ]  # fmt: skip


def _tables(r: DayResult) -> list[tuple[str, list[str], list[list[str]]]]:
    s = r.centre_summary
    names = {x.code: x.name for x in r.config.services}
    hall = [["全中心", *_row(s.hall)]]
    windows = [[f"{n}号窗口 {r.config.window(n).name}", *_row(f, True)] for n, f in sorted(s.windows.items())]
    services = [[names.get(c, c), *_row(f)] for c, f in sorted(s.services.items())]
    levels = [[LEVEL_LABELS[lv], str(n)] for lv, n in sorted(s.hall.levels.items())]
    by_rating: dict[str, list[dict[str, Any]]] = {}
    promised = []
    for f in r.extra.get("followups", []):
        if f["kind"] == "promised":
            promised.append(f)
        else:
            by_rating.setdefault(str(f.get("rating_id")), []).append(f)
    tz = r.config.timezone
    bad = []
    for d in s.dissatisfied:
        fus = sorted(by_rating.get(d["rating_id"], []), key=lambda f: f["kind"])
        when = local(_dt(d["rated_at"]), tz).strftime("%H:%M") if d["rated_at"] else ""
        due = "；".join(
            f"{KIND[f['kind']]} {f['due_date']} 前（{STATUS.get(f['status'], f['status'])}）" for f in fus
        )
        bad.append(
            [
                d["number"],
                f"{d['window']}号窗口",
                names.get(d["service_code"], ""),
                LEVEL_LABELS[d["level"]],
                when,
                due,
            ]
        )
    prom = [
        [
            f"{f['window_number']}号窗口",
            names.get(f["service_code"], f["service_code"]),
            f["due_date"],
            STATUS.get(f["status"], f["status"]),
        ]
        for f in sorted(promised, key=lambda f: (f["due_date"], f["id"]))
    ]
    head = ["", *COLUMNS]
    return [
        ("全中心", head, hall),
        ("各窗口", head, windows),
        ("各事项", head, services),
        ("评价等级分布", ["等级", "条数"], levels),
        ("差评及回访、整改期限（工作日）", ["号", "窗口", "事项", "评价", "时间", "期限"], bad),
        ("承诺件及承诺期限", ["窗口", "事项", "承诺办结日期", "状态"], [[str(x) for x in p] for p in prom]),
        ("当天发生的情况（模拟）", ["时间", "事件"], [list(t) for t in r.ledger.timeline]),
        ("核对", ["结果", "核对项", "说明"], [["通过" if c.ok else "未通过", c.name, c.detail] for c in r.outcome.checks]),
    ]  # fmt: skip


def _dt(text: str) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(text)


def _intro(r: DayResult, html_name: str | None = None) -> str:
    page = f"街道中心自己的页面见 [{html_name}]({html_name})。" if html_name else ""
    return (
        f"{r.config.street} · {r.config.name} · 营业日 {r.day}。数字由街道公共服务中心根据收到的数据计算，"
        f"与取号机日结逐项一致（见文末「核对」）。{page}"
        f"本页由 `kiosk-admin simulate-day`（种子 {r.extra.get('seed')}，加速 {r.extra.get('speed')} 倍）"
        "模拟一整天生成：居民、窗口人员和故障是模拟的，取号机、呼叫评价器总线、打印机、同步和街道中心都是真实程序。"
        "时间单位：分钟；满意率 = 满意 ÷ 已评；评价率 = 已评 ÷ 办结。"
    )


def to_markdown(r: DayResult, html_name: str | None = None) -> str:
    out = [f"# {r.config.name} 日结 {r.day}（夜间汇总示例）", "", _intro(r, html_name), ""]
    for title, head, rows in _tables(r):
        out += [f"## {title}", ""]
        if not rows:
            out += ["无。", ""]
            continue
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        out += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


CSS = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.25em .5em;"
    "text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}"
    "th{background:#eef2f7}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}.note{color:#555}"
)


_PAGE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>
<title>{{ name }} 日结 {{ day }}</title><style>{{ css }}</style></head><body>
<h1>{{ name }} 日结 {{ day }}</h1><p class='note'>{{ intro }}</p>
{% for title, head, rows in tables %}
<h2>{{ title }}</h2>
{% if not rows %}
<p>无。</p>
{% else %}
<table><tr>{% for h in head %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in rows %}
<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endif %}
{% endfor %}
</body></html>"""
)


def to_html(r: DayResult) -> str:
    """The run's day page, through an autoescaping template (names and texts come from the config)."""
    return _PAGE.render(name=r.config.name, day=r.day, css=Markup(CSS), intro=_intro(r), tables=_tables(r))


def write_reports(r: DayResult, path: Path) -> list[Path]:
    """The centre's own page for the hall (as fetched from it; its links to the street's pages are
    made inert, they only work on the centre), and this run's Markdown twin with the day's events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    md = path.with_suffix(".md")
    page = r.extra.get("pages", {}).get("html")
    if page:
        page = re.sub(r"href=([\"'])/summary/[^\"']*\1", 'href="#"', page)
    path.write_text(page or to_html(r), encoding="utf-8")
    md.write_text(to_markdown(r, path.name), encoding="utf-8")
    return [path, md]


def _by_kind(presses: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for p in presses:
        slot = out.setdefault(p["kind"], {})
        slot[str(p.get("outcome"))] = slot.get(str(p.get("outcome")), 0) + 1
    return out


def result_json(r: DayResult) -> str:
    led = r.ledger
    data = {
        "day": r.day.isoformat(),
        "ok": r.ok,
        "real_seconds": round(r.real_seconds, 1),
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in r.outcome.checks],
        "tickets": len(led.issued),
        "finished": len(led.finished),
        "no_shows": len(led.no_shows),
        "rating_presses": len(led.presses),
        "double_taps": led.double_taps,
        "arrivals_delayed": led.arrivals_delayed,
        "spacing_delays": led.spacing_delays,
        "staff_retries": led.staff_retries,
        "timeline": led.timeline,
        "rating_presses_by_kind": _by_kind(led.presses),
        "observed": r.observed,
        "figures": r.outcome.centre_figures,
    }
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
