"""The kiosk runtime as the touch UI uses it: real SQLite, the simulated printer on loopback TCP and
the simulated keypad bus on a pty. Every assertion is on the database, the printer's decoded jobs or
the frames the keypads received."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from drivers.keypad.events import StaffAction
from drivers.keypad.ff68 import CMD_START_EVALUATION, START_EVALUATION_DATA
from kiosk.config.schema import HallConfig
from kiosk.db import models as m
from kiosk.engine.clock import ManualClock
from kiosk.services.runtime import KioskRuntime, build_runtime


def wait_until(cond: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def runtime(sample_config: HallConfig, clock: ManualClock, tmp_path: Path) -> Iterator[KioskRuntime]:
    rt = build_runtime(sample_config, tmp_path / "data", clock=clock).start()
    try:
        yield rt
    finally:
        rt.stop()


def ticket_row(rt: KioskRuntime, ticket_id: str) -> m.Ticket:
    row = rt.db.read(lambda s: s.get(m.Ticket, ticket_id))
    assert row is not None
    return row


def test_a_ticket_is_committed_then_printed_in_chinese(runtime: KioskRuntime) -> None:
    out = runtime.issue_ticket("pension_enrol", None, "tap-1").result(30)
    assert out.ticket is not None and out.printed and not out.on_screen
    assert ticket_row(runtime, out.ticket.id).print_status == "printed"
    sim = runtime.printer_sim
    assert sim is not None
    job = sim.wait_for_jobs(1)[0]
    text = job.text()
    assert out.ticket.number in text
    assert "请到 1、2 号窗口等候叫号" in text
    # The QR is text a phone shows meaningfully, not a bare id (the screen says 扫码或拍照记下号码).
    assert job.qr_payloads == [
        "柏杨街道双阳社区便民服务中心\n"
        f"号码：{out.ticket.number}\n"
        "业务：城乡居民养老保险参保登记\n"
        "取号：2026-11-26 09:30\n"
        "窗口：1、2 号窗口"
    ]
    types = runtime.db.read(lambda s: list(s.scalars(select(m.OutboxEvent.type).order_by(m.OutboxEvent.seq))))
    assert types == ["ticket.issued", "ticket.print_result"]


def test_a_double_tap_issues_one_ticket_and_prints_once(runtime: KioskRuntime) -> None:
    first = runtime.issue_ticket("social_card", None, "same-tap")
    second = runtime.issue_ticket("social_card", None, "same-tap")
    a, b = first.result(30), second.result(30)
    assert a.ticket is not None and b.ticket is not None
    assert a.ticket.id == b.ticket.id
    assert runtime.db.read(lambda s: s.scalar(select(func.count()).select_from(m.Ticket))) == 1
    sim = runtime.printer_sim
    assert sim is not None
    sim.wait_for_jobs(1)
    time.sleep(0.3)
    assert len(sim.jobs) == 1


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "offline", "cutter_error"])
def test_a_printer_known_bad_issues_on_screen_and_staff_see_it(runtime: KioskRuntime, state: str) -> None:
    sim = runtime.printer_sim
    assert sim is not None
    sim.set_state(state)
    out = runtime.issue_ticket("medical_insurance", None, f"tap-{state}").result(30)
    assert out.ticket is not None, "a printer fault must never stop a resident getting a number"
    assert out.on_screen and not out.printed
    assert "请记下屏幕上的号码" in out.message
    row = ticket_row(runtime, out.ticket.id)
    assert row.status == "waiting" and row.print_status == "on_screen"
    assert row.print_error and state.split("_")[0] in row.print_error
    assert [n for _, n, _ in runtime.engine.print_failures()] == [out.ticket.number]
    assert sim.jobs == [], "nothing is sent to a printer known bad"


def test_a_disconnect_mid_job_keeps_the_ticket_valid_and_says_so(runtime: KioskRuntime) -> None:
    sim = runtime.printer_sim
    assert sim is not None
    sim.disconnect_after(40)
    out = runtime.issue_ticket("pension_enrol", None, "tap-cut").result(30)
    assert out.ticket is not None and not out.printed and out.on_screen
    row = ticket_row(runtime, out.ticket.id)
    assert row.status == "waiting", "the resident keeps their place"
    assert row.print_status == "failed" and row.print_error


def test_a_reprint_is_marked_and_counted(runtime: KioskRuntime) -> None:
    out = runtime.issue_ticket("pension_enrol", None, "tap-r").result(30)
    assert out.ticket is not None
    again = runtime.reprint(out.ticket.id).result(30)
    assert again.printed
    sim = runtime.printer_sim
    assert sim is not None
    jobs = sim.wait_for_jobs(2)
    assert "补打" in jobs[-1].text() and "补打" not in jobs[0].text()
    assert ticket_row(runtime, out.ticket.id).reprints == 1


def test_the_guide_and_the_day_slip_print_what_the_records_say(runtime: KioskRuntime) -> None:
    runtime.print_guide("minimum_living", ["户口簿"], 3).result(30)
    sim = runtime.printer_sim
    assert sim is not None
    guide = sim.wait_for_jobs(1)[0].text()
    for material in ("申请人居民身份证", "户口簿", "家庭收入及财产情况声明", "低保申请书", "银行卡"):
        assert material in guide
    g = runtime.config.service("minimum_living").guide
    assert f"承诺时限：{g.promised_days} 个工作日（法定时限 {g.legal_days} 个工作日）" in guide, guide
    out = runtime.issue_ticket("pension_enrol").result(30)
    assert out.ticket is not None
    runtime.engine.call_next(1)
    runtime.engine.finish(1)
    runtime.engine.press_rating_key(1, 4)  # 非常不满意
    runtime.print_day_slip().result(30)
    slip = sim.wait_for_jobs(3)[-1].text()
    assert slip.splitlines()[0] == "日结单", slip
    hall = slip.split("全中心", 1)[1].split("1 号窗口", 1)[0]
    figures = dict(line.split(None, 1) for line in hall.strip().splitlines())
    assert (figures["取号"], figures["办结"], figures["差评"], figures["评价率"]) == (
        "1",
        "1",
        "1",
        "100.0%",
    ), slip
    assert out.ticket.number in slip and "非常不满意" in slip


def test_after_a_no_show_the_keypad_no_longer_shows_the_number(runtime: KioskRuntime) -> None:
    out = runtime.issue_ticket("pension_enrol").result(30)
    assert out.ticket is not None
    keypads = runtime.keypad_sim
    assert keypads is not None
    runtime.window_op("call_next", 1).result(30)  # the software caller: the keypad shows it as well
    digits = out.ticket.number[1:]
    wait_until(lambda: keypads.displays(1)[-1:] and keypads.displays(1)[-1].endswith(digits))
    runtime.window_op("no_show", 1).result(30)
    # The number half goes blank; the waiting count (left) stays.
    wait_until(lambda: keypads.displays(1)[-1].endswith("   "))
    assert not keypads.displays(1)[-1].endswith(digits)


def test_a_keypad_press_calls_through_the_engine_and_shows_the_number(runtime: KioskRuntime) -> None:
    out = runtime.issue_ticket("pension_enrol").result(30)
    assert out.ticket is not None
    keypads = runtime.keypad_sim
    assert keypads is not None
    keypads.press_staff(1, StaffAction.CALL_NEXT)
    wait_until(lambda: ticket_row(runtime, out.ticket.id).status == "called")  # type: ignore[union-attr]
    digits = out.ticket.number[1:]
    wait_until(lambda: any(d.strip().endswith(digits) for d in keypads.displays(1)))
    keypads.press_staff(1, StaffAction.REQUEST_RATING)
    wait_until(lambda: ticket_row(runtime, out.ticket.id).status == "finished")  # type: ignore[union-attr]
    wait_until(lambda: len(rating_invitations(runtime, 1)) == 1)
    time.sleep(1.0)  # past the keypad's debounce, as a resident's hand would be
    keypads.press_rating(1, 1)
    wait_until(
        lambda: (
            runtime.db.read(lambda s: s.scalar(select(m.Rating.level).where(m.Rating.status == "rated"))) == 2
        )
    )


def rating_invitations(rt: KioskRuntime, address: int) -> list[object]:
    sim = rt.keypad_sim
    assert sim is not None
    return [f for f in sim.frames(address, CMD_START_EVALUATION) if f.data == START_EVALUATION_DATA]


def test_finishing_on_the_touch_screen_invites_the_rating_on_the_keypad(runtime: KioskRuntime) -> None:
    """Halls with 评价器 at the windows but calling from the staff screen still get ratings."""
    window = next(w for w in runtime.config.windows if w.keypad is not None)
    assert window.keypad is not None
    address = window.keypad.address
    service = window.services[0]
    out = runtime.issue_ticket(service).result(30)
    assert out.ticket is not None
    runtime.window_op("call_next", window.number).result(30)
    assert rating_invitations(runtime, address) == []  # nothing to rate yet
    runtime.window_op("finish", window.number).result(30)
    wait_until(lambda: len(rating_invitations(runtime, address)) == 1)
    time.sleep(1.0)  # past the keypad's debounce
    runtime.keypad_sim.press_rating(address, 0)  # type: ignore[union-attr]
    wait_until(
        lambda: (
            runtime.db.read(
                lambda s: s.scalar(select(m.Rating.status).where(m.Rating.ticket_id == out.ticket.id))  # type: ignore[union-attr]
            )
            == "rated"
        )
    )
    others = [w.keypad.address for w in runtime.config.windows if w.keypad and w.number != window.number]
    assert all(rating_invitations(runtime, a) == [] for a in others)


def test_the_day_closes_by_itself_after_hours(runtime: KioskRuntime, clock: ManualClock) -> None:
    out = runtime.issue_ticket("pension_enrol").result(30)
    assert out.ticket is not None
    runtime.nightly_close.run_once()
    assert ticket_row(runtime, out.ticket.id).status == "waiting", "not during opening hours"
    clock.set(dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.UTC))  # 18:05 in Shanghai
    runtime.nightly_close.run_once()
    assert ticket_row(runtime, out.ticket.id).status == "removed"
    runtime.nightly_close.run_once()  # idempotent: the day is closed once
    assert runtime.db.read(lambda s: s.scalar(select(func.count()).select_from(m.DayClose))) == 1


def test_a_hall_open_until_23_45_is_not_closed_while_open(sample_config: HallConfig, tmp_path: Path) -> None:
    """Today's main compared times of day: 23:45 + 30 min wrapped to 00:15, so the automatic close ran
    at start-up for the day in progress and every touch answered 「今日已日结」."""
    late = sample_config.model_copy(
        update={
            "sessions": [
                sample_config.sessions[0].model_copy(update={"start": dt.time(14), "end": dt.time(23, 45)})
            ]
        }
    )
    evening = ManualClock(dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))  # 20:00 in Shanghai
    rt = build_runtime(late, tmp_path / "late", clock=evening).start()
    try:
        rt.nightly_close.run_once()
        out = rt.issue_ticket("pension_enrol").result(30)
        assert out.ticket is not None, out
        assert rt.overview()["pension_enrol"]["refused"] == ""
        evening.set(dt.datetime(2026, 11, 26, 16, 10, tzinfo=dt.UTC))  # 00:10: not yet
        rt.nightly_close.run_once()
        assert ticket_row(rt, out.ticket.id).status == "waiting"
        evening.set(dt.datetime(2026, 11, 26, 16, 16, tzinfo=dt.UTC))  # 00:16, past 23:45 + 30 min
        rt.nightly_close.run_once()
        assert ticket_row(rt, out.ticket.id).status == "removed"
        closed = rt.db.read(lambda s: list(s.scalars(select(m.DayClose.business_date))))
        # The 25th was closed at 20:00 (its moment, 00:15 that morning, had passed); the 26th only now.
        assert sorted(closed) == [dt.date(2026, 11, 25), dt.date(2026, 11, 26)]
    finally:
        rt.stop()


def test_health_reports_the_printer_and_every_keypad(runtime: KioskRuntime) -> None:
    sim = runtime.printer_sim
    assert sim is not None
    sim.set_state("paper_out")
    assert runtime.printer is not None
    runtime.printer.check_status().result(10)
    runtime.health_monitor.refresh()
    h = runtime.health()
    assert h.printer_state == "paper_out" and "纸" in h.printer_action
    assert [k.window for b in h.buses for k in b.keypads] == [1, 2, 3, 4]
    assert h.sync.state == "disabled"


def test_the_staff_screen_counts_frames_a_keypad_sent_that_nobody_understood(runtime: KioskRuntime) -> None:
    from drivers.keypad.frames import encode
    from kiosk.services.ui_support import keypad_line

    sim = runtime.keypad_sim
    assert sim is not None and runtime.dispatcher is not None
    bus = runtime.dispatcher.buses[0]
    wait_until(lambda: bus.state == "up")
    for _ in range(2):
        sim.send(encode(2, 0x02, b"\x44"))  # another vendor's key code: 44 is in no key map
        time.sleep(0.3)  # past the echo window of our ACK, which has the same bytes

    def window_2() -> object:
        runtime.health_monitor.refresh()
        return next(k for b in runtime.health().buses for k in b.keypads if k.window == 2)

    wait_until(lambda: window_2().not_understood == 2)  # type: ignore[attr-defined]
    line = keypad_line(window_2(), dt.datetime.now(dt.UTC))
    assert "2 号窗口（地址 2）" in line and "无法识别 2 帧" in line, line
    other = next(k for b in runtime.health().buses for k in b.keypads if k.window == 1)
    assert "无法识别" not in keypad_line(other, dt.datetime.now(dt.UTC))


def test_staff_are_warned_when_next_years_holidays_are_unknown(
    sample_config: HallConfig, tmp_path: Path
) -> None:
    unknown = sample_config.model_copy(update={"calendar": type(sample_config.calendar)()})
    late_december = ManualClock(dt.datetime(2027, 12, 20, 1, 30, tzinfo=dt.UTC))
    rt = build_runtime(unknown, tmp_path / "d", clock=late_december)
    try:
        assert any("2027" in n or "2028" in n for n in rt.health_monitor.calendar_notices())
        known = ManualClock(dt.datetime(2025, 11, 3, 1, 30, tzinfo=dt.UTC))
        rt.engine.ctx.clock = known
        assert rt.health_monitor.calendar_notices() == ()
    finally:
        rt.stop()


def test_stop_joins_every_background_thread(
    sample_config: HallConfig, clock: ManualClock, tmp_path: Path
) -> None:
    import threading

    rt = build_runtime(sample_config, tmp_path / "d", clock=clock).start()
    names = {p.name for p in rt.parts}
    assert {"kiosk-health", "kiosk-nightly-close"} <= names
    assert names <= {t.name for t in threading.enumerate()}
    rt.stop()
    assert not names & {t.name for t in threading.enumerate()}


def test_health_shows_the_database_writers_queue(runtime: KioskRuntime) -> None:
    import threading

    gate = threading.Event()
    runtime.db.submit(lambda _s: gate.wait(10), "test.hold_the_writer")
    runtime.db.submit(lambda _s: None, "test.queued")
    runtime.db.submit(lambda _s: None, "test.queued")
    try:
        wait_until(lambda: runtime.db.queue_length == 2)
        runtime.health_monitor.refresh()
        assert runtime.health().db_queue == 2
    finally:
        gate.set()
    wait_until(lambda: runtime.db.queue_length == 0)
