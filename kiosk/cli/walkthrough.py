"""A terminal walk-through of a hall morning on the real engine, printer simulator and database.

For machines without a screen (and for newcomers reading the flow before the touch UI).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from kiosk.cli.report import format_followups, format_summary
from kiosk.config.loader import load_config
from kiosk.engine.clock import ManualClock, local, utc_from_local
from kiosk.engine.ratings import LEVEL_LABELS
from kiosk.engine.workdays import WorkCalendar
from kiosk.services.runtime import build_runtime


def _say(clock: ManualClock, tz: str, text: str) -> None:
    print(f"[{local(clock.now(), tz):%H:%M}] {text}")


def run_walkthrough(config_path: str, data_dir: Path) -> int:
    config = load_config(config_path)
    cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
    day = dt.datetime.now(ZoneInfo(config.timezone)).date()  # the hall's today, not the host's
    while not cal.is_workday(day):
        day += dt.timedelta(days=1)
    clock = ManualClock(
        utc_from_local(day, config.sessions[0].start, config.timezone) + dt.timedelta(minutes=2)
    )
    tz = config.timezone
    with tempfile.TemporaryDirectory(
        prefix="walkthrough-", dir=data_dir if data_dir.exists() else None
    ) as tmp:
        rt = build_runtime(config, Path(tmp), clock=clock).start()
        try:
            e = rt.engine
            print(f"== {config.name}，{day} 上午 ==")
            tickets = []
            for code, prio in [
                ("pension_enrol", None),
                ("pension_enrol", "elderly"),
                ("medical_insurance", None),
                ("pension_enrol", None),
                ("minimum_living", None),
            ]:
                out = rt.issue_ticket(code, prio).result(30)
                assert out.ticket is not None
                t = out.ticket
                tickets.append(t)
                mark = f"（{t.priority_label}）" if t.priority_label else ""
                _say(
                    clock,
                    tz,
                    f"取号 {t.number}{mark} {t.service_name}：前面 {t.people_ahead} 人，"
                    f"约 {t.wait_min_minutes}–{t.wait_max_minutes} 分钟，请到 {'、'.join(map(str, t.windows))} 号窗口；"
                    f"{'号票已打印' if out.printed else out.message}",
                )
                clock.advance(60)
            sim = rt.printer_sim
            if sim is not None:
                job = sim.wait_for_jobs(len(tickets))[-1]
                print("   最后一张号票的打印内容：\n     " + "\n     ".join(job.text().splitlines()))
            keys = {1: [0, 0], 2: [3], 3: []}  # window 1's resident presses twice; window 3's walks off
            for window, action in [(1, "finish"), (2, "finish"), (3, "materials")]:
                call = e.call_next(window)
                _say(clock, tz, f"叫号：请 {call.number} 号到 {window} 号窗口")
                clock.advance(240)
                if action == "materials":
                    e.finish(window, "materials_incomplete", ["户口簿"])
                    _say(clock, tz, f"{call.number} 材料不全：缺户口簿，已打印一次性告知单")
                    rt.print_guide(call.service_code, ["户口簿"], window).result(30)
                else:
                    e.finish(window)
                    _say(clock, tz, f"{call.number} 办结，请评价")
                clock.advance(10)
                for key in keys[window]:
                    r = e.press_rating_key(window, key)
                    verdict = (
                        f"记为“{LEVEL_LABELS[r.level]}”" if r.accepted and r.level else f"忽略（{r.reason}）"
                    )
                    _say(clock, tz, f"{window} 号窗口评价键 {key}：{verdict}")
            call = e.call_next(1)
            _say(clock, tz, f"叫号：请 {call.number} 号到 1 号窗口")
            clock.advance(120)
            requeued = e.no_show(1, requeue=True)
            _say(clock, tz, f"{call.number} 过号{'，顺延后重新排队' if requeued else ''}")
            clock.advance(90)
            r = e.press_rating_key(3, 1)
            _say(clock, tz, f"90 秒后 3 号窗口评价：{'记录' if r.accepted else '忽略（' + r.reason + '）'}")
            removed = e.close_day()
            _say(clock, tz, f"日结：清除 {removed} 个未办理的号（记录保留）")
            print()
            print(format_summary(config, e.summary(day)))
            fus = e.db.read(
                lambda s: s.execute(text("select kind, due_date from followups order by kind")).all()
            )
            if fus:
                print(format_followups((kind, due) for kind, due in fus))
        finally:
            rt.stop()
    return 0
