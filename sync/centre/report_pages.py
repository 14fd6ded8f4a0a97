"""考核 period reports: ``/report/{period}`` for the street, ``…/hall/{hall}`` for a hall, ``…/window/{n}``
and ``…/staff/{工号}`` for one window or staff member; ``?format=csv`` or ``?format=xlsx`` exports the same
figures. Periods are written ``2026-W48``, ``2026-11``, ``2026-Q4``, ``2026`` or ``2026-11-02..2026-11-20``
(``periods.parse_period``). Read-only; publish behind the proxy's login like the night pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from sync.centre import day_store, report_export, summary_html
from sync.centre.figures import SHANGHAI
from sync.centre.pages import render
from sync.centre.periods import (
    FORMATS,
    FollowupRates,
    Period,
    PeriodError,
    PeriodKind,
    Report,
    Scope,
    hall_report,
    member_report,
    parse_period,
    street_report,
)
from sync.centre.trend_chart import trend_chart
from sync.contract.figures import Figures

# One way of writing a rate and a duration on every centre page.
pct = summary_html.pct
mins = summary_html.mins

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RANKED_ON_STREET = 10
"""Windows and staff members shown at each end of the street's ranking (all of them in the exports)."""


def figure_cells(f: Figures, fu: FollowupRates | None, called: bool = False) -> list[str]:
    """``called``: a window or staff member issues nothing; its first figure is the calls it made."""
    cells = [
        str(f.called if called else f.issued), str(f.finished), str(f.no_show), mins(f.wait_mean_s), mins(f.wait_p90_s),
        mins(f.service_mean_s), mins(f.service_p90_s), pct(f.evaluation_rate), pct(f.satisfaction_rate),
        str(f.dissatisfied),
    ]  # fmt: skip
    if fu is not None:
        cells += [pct(fu.callback_rate), pct(fu.rectification_rate), pct(fu.promised_rate)]
    return cells


FIG_HEAD = ["取号", "办结", "过号", "平均等候", "P90等候", "平均办理", "P90办理", "评价率", "满意率", "差评"]
FU_HEAD = ["回访及时率", "整改完成率", "承诺件按期"]


def cards(f: Figures, fu: FollowupRates) -> list[tuple[str, str, str]]:
    # The night page's cards, with the 差评 card and the period's follow-up rates after them.
    return [
        *summary_html.cards(f, ("差评", str(f.dissatisfied), f"非常不满意 {f.levels.get(5, 0)}")),
        ("回访及时率", pct(fu.callback_rate), f"按期 {fu.on_time['callback']} / 应回访 {fu.due['callback']}"),
        ("整改完成率", pct(fu.rectification_rate),
         f"按期 {fu.on_time['rectification']} / 应整改 {fu.due['rectification']}"),
        ("承诺件按期办结率", pct(fu.promised_rate), f"按期 {fu.on_time['promised']} / 到期 {fu.due['promised']}"),
    ]  # fmt: skip


def shift(period: Period, step: int) -> Period | None:
    """The period before (-1) or after (+1) of the same kind; none for a free range."""
    s = period.start
    match period.kind:
        case PeriodKind.WEEK:
            y, w, _ = (s + dt.timedelta(days=7 * step)).isocalendar()
            return parse_period(f"{y}-W{w:02d}")
        case PeriodKind.MONTH:
            m = s.month - 1 + step
            return parse_period(f"{s.year + m // 12}-{m % 12 + 1:02d}")
        case PeriodKind.QUARTER:
            q = (s.month - 1) // 3 + step
            return parse_period(f"{s.year + q // 4}-Q{q % 4 + 1}")
        case PeriodKind.YEAR:
            return parse_period(str(s.year + step))
    return None


def _links(period: Period) -> Callable[..., str]:
    def link(hall: str | None = None, scope: str | None = None, key: str | None = None, fmt: str = "") -> str:
        url = f"/report/{quote(period.token, safe='')}"
        if hall:
            url += f"/hall/{quote(hall, safe='')}"
        if scope and key is not None:
            url += f"/{scope}/{quote(key, safe='')}"
        return url + (f"?format={fmt}" if fmt else "")

    return link


def render_report(report: Report) -> str:
    link = _links(report.period)
    lines = report.lines
    windows = lines.get(Scope.WINDOW, [])
    staff = lines.get(Scope.STAFF, [])
    if report.scope == Scope.STREET and len(windows) > 2 * RANKED_ON_STREET:
        windows = windows[:RANKED_ON_STREET] + windows[-RANKED_ON_STREET:]
    if report.scope == Scope.STREET and len(staff) > 2 * RANKED_ON_STREET:
        staff = staff[:RANKED_ON_STREET] + staff[-RANKED_ON_STREET:]
    nav = []
    for step, text in ((-1, "‹ 上一期"), (1, "下一期 ›")):
        other = shift(report.period, step)
        if other is not None:
            base = _links(other)
            nav.append((text, base(report.hall_id, report.scope.value if report.key else None, report.key)))
    return render(
        "report.html",
        report=report,
        heading=f"{report.title} · 考核 {report.period.label}",
        cards=cards(report.figures, report.followups),
        chart=trend_chart(report.trend),
        halls=lines.get(Scope.HALL, []),
        windows=windows,
        staff=staff,
        services=lines.get(Scope.SERVICE, []),
        all_windows=len(lines.get(Scope.WINDOW, [])),
        all_staff=len(lines.get(Scope.STAFF, [])),
        fig_head=FIG_HEAD,
        fu_head=FU_HEAD,
        cells=figure_cells,
        link=link,
        nav=nav,
        formats=FORMATS,
        generated=report.generated_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
        pct=pct,
        mins=mins,
    )


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise HTTPException(404, str(exc)) from exc


def register(api: FastAPI, engine: Engine) -> None:
    def answer(report: Report, fmt: str, name: str) -> Response:
        if fmt == "csv":
            return Response(
                report_export.to_csv(report),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if fmt == "xlsx":
            return Response(
                report_export.to_xlsx(report),
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        return HTMLResponse(render_report(report))

    def build(period: Period, work: Callable[[Any], Report]) -> Report:
        with engine.begin() as conn:  # what pushes changed since the refresher last ran
            day_store.refresh_dirty(conn, period.start, period.end)
        with engine.connect() as conn:
            return work(conn)

    @api.get("/report", include_in_schema=False)
    def this_month(period: str | None = None) -> RedirectResponse:
        """The period chooser's form lands here; no period: the current month."""
        token = (period or dt.datetime.now(SHANGHAI).strftime("%Y-%m")).strip()
        return RedirectResponse(f"/report/{quote(_period(token).token, safe='')}", status_code=303)

    @api.get("/report/{period}", tags=["report"])
    async def street(period: str, format: str = Query("html", pattern="^(html|csv|xlsx)$")) -> Response:
        p = _period(period)
        report = await run_in_threadpool(build, p, lambda c: street_report(c, p))
        return answer(report, format, f"street-{p.token}")

    @api.get("/report/{period}/hall/{hall_id}", tags=["report"])
    async def hall(
        period: str, hall_id: str, format: str = Query("html", pattern="^(html|csv|xlsx)$")
    ) -> Response:
        p = _period(period)
        report = await run_in_threadpool(build, p, lambda c: hall_report(c, p, hall_id))
        if report.figures.issued == 0 and hall_id not in report.hall_names:
            raise HTTPException(404, f"no hall {hall_id}")
        return answer(report, format, f"{hall_id}-{p.token}")

    @api.get("/report/{period}/hall/{hall_id}/{scope}/{key}", tags=["report"])
    async def member(
        period: str, hall_id: str, scope: str, key: str,
        format: str = Query("html", pattern="^(html|csv|xlsx)$"),
    ) -> Response:  # fmt: skip
        if scope not in (Scope.WINDOW, Scope.STAFF):
            raise HTTPException(404, "window or staff")
        p = _period(period)
        report = await run_in_threadpool(build, p, lambda c: member_report(c, p, hall_id, Scope(scope), key))
        return answer(report, format, f"{hall_id}-{scope}-{key}-{p.token}")
