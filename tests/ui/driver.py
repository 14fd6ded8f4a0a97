"""Run one UI scenario in its own process (Kivy allows one App per process).

    python -m tests.ui.driver SCENARIO DATA_DIR [--size 1920x1080]

Each scenario starts the real kiosk (real runtime, SQLite, simulated printer on loopback and the
simulated keypad bus on a pty) with a fixed clock inside opening hours, then a pilot presses buttons
with real X pointer events and checks what the screen says and what the database holds. Exit status
0 means the scenario passed; failures are printed to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KIVY_NO_ARGS", "1")

from kiosk.config.pin import hash_pin  # noqa: E402  (no Kivy at import)

Scenario = Callable[[Any, Any, Path], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def rows(data: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(data / "kiosk.db")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def ticket_rows(data: Path) -> list[tuple[Any, ...]]:
    return rows(data, "SELECT number, service_code, priority, print_status FROM tickets ORDER BY issued_at")


def on_ticket_screen(p: Any, state: str) -> Any:
    p.wait(lambda: p.app.sm.current == "ticket" and p.app.screen("ticket").state == state, 20, state)
    return p.ui(lambda: p.app.screen("ticket"))


def screen_text(p: Any) -> str:
    return p.ui(p.texts)


class Inputs:
    """Counts the touches and keys the window has dispatched, so a check that something did NOT
    happen waits for the input to have been handled (and for the work it could have started to be
    done), instead of sleeping and hoping that was long enough."""

    def __init__(self, p: Any, rt: Any):
        from kivy.core.window import Window

        self.p, self.rt = p, rt
        self.ups = self.keys = 0
        p.ui(lambda: Window.fbind("on_touch_up", self._up))
        p.ui(lambda: Window.fbind("on_key_down", self._key))

    def _up(self, *_args: Any) -> None:
        self.ups += 1

    def _key(self, *_args: Any) -> None:
        self.keys += 1

    def mark(self) -> tuple[int, int]:
        return self.p.ui(lambda: (self.ups, self.keys))

    def settle(self, since: tuple[int, int], ups: int = 0, keys: int = 0) -> None:
        """Wait until ``ups`` more touch-ups and ``keys`` more key presses were dispatched on the UI
        thread, then until the desk (ticket issuing) and the database writer have finished what
        those handlers handed them: both run tasks in order, so a no-op behind them is a barrier."""
        self.p.wait(
            lambda: self.ups - since[0] >= ups and self.keys - since[1] >= keys,
            10,
            f"{ups} touches and {keys} keys to be handled",
        )
        desk = getattr(self.rt, "_desk_pool", None)
        if desk is not None:
            desk.submit(lambda: None).result(10)
        self.rt.db.run(lambda _s: None)


# ---- scenarios -------------------------------------------------------------------------------------
@scenario
def regular(p: Any, rt: Any, data: Path) -> None:
    """Touch a service: one ticket, printed; a double tap must not issue a second one."""
    jobs_before = len(rt.printer_sim.jobs)
    inputs = Inputs(p, rt)
    mark = inputs.mark()
    p.double_tap_xy(*p.locate("pension_enrol"))
    screen = on_ticket_screen(p, "printed")
    number = p.ui(lambda: screen.number)
    assert number == "A001", number
    text = screen_text(p)
    for expected in ("A001", "请取走号票", "1、2 号窗口", "城乡居民养老保险参保登记"):
        assert expected in text, (expected, text)
    rt.printer_sim.wait_for_jobs(jobs_before + 1)
    inputs.settle(mark, ups=2)  # both taps handled, and whatever they started is done
    p.wait(lambda: ticket_rows(data) == [("A001", "pension_enrol", None, "printed")], 10, "A001 printed")
    job = rt.printer_sim.jobs[-1]
    assert "A001" in job.text(), job.text()
    assert len(rt.printer_sim.jobs) == jobs_before + 1
    p.tap("ticket_done")
    p.wait(lambda: p.app.sm.current == "home", 5, "home")
    p.wait(lambda: "等候 1 人" in p.texts(), 10, "the queue count on the home screen")
    # One touch provider: one press on the glass is exactly one touch in Kivy.
    from kivy.base import EventLoop
    from kivy.config import Config
    from kivy.core.window import Window

    assert p.ui(lambda: Config.items("input")) == [("mouse", "mouse,disable_multitouch")]
    providers = p.ui(lambda: sorted(type(x).__name__ for x in EventLoop.input_providers))
    assert providers == ["MouseMotionEventProvider", "SDL2MotionEventProvider"], (
        providers
    )  # SDL2's is inert on Linux
    touches: list[Any] = []
    p.ui(lambda: Window.fbind("on_touch_down", lambda _w, t: touches.append(t.device)))
    mark = inputs.mark()
    p.tap("elder_mode")
    inputs.settle(mark, ups=1)
    assert touches == ["mouse"], touches
    assert p.ui(lambda: p.app.theme.elder)


@scenario
def priority(p: Any, rt: Any, data: Path) -> None:
    """绿色通道: pick a category, then a service; the ticket carries the category and says so."""
    p.tap("green_channel")
    p.tap("priority_elderly")
    p.wait(lambda: "绿色通道（70岁以上老人）" in p.texts(), 5, "the green-channel banner")
    p.tap("social_card")
    screen = on_ticket_screen(p, "printed")
    assert p.ui(lambda: screen.priority_label) == "绿色通道 · 70岁以上老人"
    assert "C001" in screen_text(p)
    p.wait(lambda: ticket_rows(data) == [("C001", "social_card", "elderly", "printed")], 5, "the row")
    p.tap("ticket_done")
    p.wait(lambda: p.app.sm.current == "home" and not p.app.screen("home").mode, 5, "home, mode reset")


@scenario
def guide_then_ticket(p: Any, rt: Any, data: Path) -> None:
    """办事指南: the checklist at once, the 告知单 printed, then 材料齐全，取号."""
    p.tap("guide")
    p.wait(lambda: p.app.sm.current == "guide", 5, "guide")
    p.tap("guide_minimum_living")
    text = screen_text(p)
    for expected in ("最低生活保障申请", "家庭收入及财产情况声明", "入户调查", "20 个工作日内办结", "不收费"):
        assert expected in text, (expected, text)
    jobs = len(rt.printer_sim.jobs)
    p.tap("guide_print")
    guide = p.ui(lambda: p.app.screen("guide"))
    p.wait(lambda: "告知单已打印" in guide.print_status, 20, f"告知单 printed ({guide.print_status})")

    guide_job = rt.printer_sim.wait_for_jobs(jobs + 1)[-1]
    assert "家庭收入及财产情况声明" in guide_job.text(), guide_job.text()
    assert ticket_rows(data) == []  # a printed guide is not a ticket
    p.tap("guide_take")
    on_ticket_screen(p, "printed")
    assert "D001" in screen_text(p)
    p.wait(lambda: ticket_rows(data) == [("D001", "minimum_living", None, "printed")], 5, "the row")
    # Idle on the guide: back to the start on its own.
    from kiosk.ui import app as app_module

    app_module.IDLE_LIMITS["guide"] = 2
    p.tap("ticket_done")
    p.tap("guide")
    p.wait(lambda: p.app.sm.current == "guide", 5)
    p.wait(lambda: p.app.sm.current == "home", 10, "idle return to home")


@scenario
def printer_fault(p: Any, rt: Any, data: Path) -> None:
    """Out of paper: the number and its QR on screen with plain words; the row says on_screen."""
    rt.printer_sim.set_state("paper_out")
    p.wait(lambda: rt.health().printer_state == "paper_out", 10, "the printer fault to be seen")
    jobs = len(rt.printer_sim.jobs)
    p.tap("residence_proof")
    screen = on_ticket_screen(p, "fault")
    p.wait(lambda: screen.qr_texture is not None, 10, "the QR code")
    text = screen_text(p)
    assert "J001" in text and "打印机暂时不能出票" in text, text
    assert "二维码" in p.ui(lambda: screen.message), p.ui(lambda: screen.message)
    (row,) = ticket_rows(data)
    # The fault was seen before the tap, so nothing was sent: on_screen (failed is for a job cut off).
    assert row == ("J001", "residence_proof", None, "on_screen"), row
    assert all(not j.printed for j in rt.printer_sim.jobs[jobs:])
    # Escape and F1 do nothing on a kiosk.
    inputs = Inputs(p, rt)
    mark = inputs.mark()
    p.xt.key(0xFF1B)
    p.xt.key(0xFFBE)
    inputs.settle(mark, keys=2)
    assert p.ui(lambda: p.app.sm.current) == "ticket"
    assert p.ui(lambda: p.app._app_settings is None)  # the settings panel was never built


@scenario
def staff_pin(p: Any, rt: Any, data: Path) -> None:
    """A wrong PIN is refused and the keypad locks; the right one opens the staff screen."""
    p.tap("staff")
    p.wait(lambda: p.app.sm.current == "pin", 5)
    pin = p.ui(lambda: p.app.screen("pin"))
    locks: list[float] = []  # every value the countdown takes: its first is the lock's length
    # Listen before the PIN is sent: the guard answers on a worker thread, and a lock that starts before
    # the binding would lose its first value (seen on 3.13: [1, 0]).
    p.ui(lambda: pin.fbind("lock_left", lambda _w, v: locks.append(v)))
    for k in "1357":
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    p.wait(lambda: pin.locked, 5, "lockout")
    assert "密码错误" in screen_text(p)
    assert p.ui(lambda: p.app.sm.current) == "pin"
    assert p.ui(lambda: p.find("pin_2").disabled)  # keys disabled while locked
    x, y = p.ui(lambda: p.find("pin_2").to_window(*p.find("pin_2").center))
    inputs = Inputs(p, rt)
    mark = inputs.mark()
    p.tap_xy(int(x), int(p.ui(lambda: p.app.root.height) - y))
    inputs.settle(mark, ups=1)
    assert p.ui(lambda: pin.entered) == "", "a key pressed during the lockout was taken"
    p.wait(lambda: not pin.locked, 10, "the lock to end")
    assert p.ui(lambda: (pin.failures, max(locks))) == (1, 2), locks  # the first lock is 2 s
    locks.clear()
    # A second wrong PIN in a row locks for longer: 2, 4, 8, 16, then 30 s.
    for k in "9999":
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    p.wait(lambda: pin.locked, 5, "the second lockout")
    p.wait(lambda: not pin.locked, 10, "the second lock to end")
    assert p.ui(lambda: (pin.failures, max(locks))) == (2, 4), locks
    for k in "2468":
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    p.wait(lambda: p.app.sm.current == "staff", 10, "the staff screen")
    assert p.ui(lambda: pin.failures) == 0, "the right PIN clears the count"
    p.wait(lambda: "取号 0" in p.app.screen("staff").figures_text, 10, "today's figures")
    assert "打印机" in p.ui(lambda: p.app.screen("staff").health_text)
    p.tap("voice_silent")
    p.wait(lambda: p.app.voice.silent, 5, "silent mode")
    p.tap("volume_down")
    p.wait(lambda: p.app.voice.volume == 0.9, 5, "volume down")
    p.tap("staff_exit")
    p.wait(lambda: p.app.sm.current == "home", 5)


def wrong_pin(p: Any, digits: str) -> Any:
    """Type a wrong PIN on the PIN screen; returns the screen and the lock's length in seconds."""
    pin = p.ui(lambda: p.app.screen("pin"))
    locks: list[float] = []
    p.ui(lambda: pin.fbind("lock_left", lambda _w, v: locks.append(v)))
    for k in digits:
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    p.wait(lambda: pin.locked, 5, "lockout")
    p.wait(lambda: not pin.locked, 40, "the lock to end")
    return pin, max(locks)


@scenario
def pin_lock_before_restart(p: Any, rt: Any, data: Path) -> None:
    """First half of a restart: one wrong PIN (a 2 s lock); the kiosk then stops."""
    p.tap("staff")
    p.wait(lambda: p.app.sm.current == "pin", 5)
    pin, lock = wrong_pin(p, "1357")
    assert p.ui(lambda: pin.failures) == 1 and lock == 2, lock


@scenario
def pin_lock_after_restart(p: Any, rt: Any, data: Path) -> None:
    """Second half, a new kiosk process on the same data: the wrong PIN before the restart still
    counts, so the next wrong one locks for 4 s, not 2 again."""
    p.tap("staff")
    p.wait(lambda: p.app.sm.current == "pin", 5)
    pin = p.ui(lambda: p.app.screen("pin"))
    p.wait(lambda: pin.failures == 1, 5, "the count from before the restart")
    pin, lock = wrong_pin(p, "9999")
    assert p.ui(lambda: pin.failures) == 2 and lock == 4, lock


RESTART_PAIRS = {"pin_lock_before_restart": "pin_lock_after_restart"}
"""Scenarios run one after the other on the same data directory, the second in a new process."""


def staff_login(p: Any) -> None:
    p.tap("staff")
    for k in "2468":
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    p.wait(lambda: p.app.sm.current == "staff", 10, "the staff screen")


@scenario
def software_caller(p: Any, rt: Any, data: Path) -> None:
    """The staff screen's caller runs the same engine operations as a keypad."""
    rt.issue_ticket("pension_enrol", None).result(20)
    rt.issue_ticket("pension_enrol", None).result(20)
    staff_login(p)
    p.tap("op_call_next_1")
    p.wait(lambda: p.app.overlay.showing and p.app.overlay.number == "A001", 10, "the call overlay")
    assert rows(data, "SELECT window_number FROM handlings") == [(1,)]
    p.wait(lambda: not p.app.overlay.showing, 20, "the overlay to finish")
    p.wait(lambda: "当前 A001" in p.texts(), 10, "window 1 showing A001")
    p.tap("op_finish_1")
    p.wait(
        lambda: rows(data, "SELECT outcome FROM handlings WHERE finished_at IS NOT NULL") == [("completed",)],
        10,
        "the handling finished",
    )
    p.wait(lambda: "1 号窗口已办结" in p.app.screen("staff").status, 5)
    p.tap("op_pause_1")
    p.wait(lambda: rows(data, "SELECT status FROM window_states WHERE number = 1") == [("paused",)], 10)
    p.tap("op_call_next_1")
    p.wait(lambda: "1 号窗口：" in p.app.screen("staff").status, 10, "paused window refuses a call")
    assert len(rows(data, "SELECT id FROM handlings")) == 1


def type_on_pad(p: Any, digits: str) -> None:
    for d in digits:
        p.tap(f"signin_key_{d}")


def shift_rows(data: Path) -> list[tuple[Any, ...]]:
    return rows(
        data, "SELECT window_number, staff_id, staff_name, end_reason FROM staff_shifts ORDER BY started_at"
    )


@scenario
def staff_sign_in(p: Any, rt: Any, data: Path) -> None:
    """签到 at a window with 工号 and own PIN (a wrong PIN is refused and nothing is recorded); the
    window shows who is there, a call made there records them, 签退 ends the shift."""
    rt.issue_ticket("pension_enrol", None).result(20)
    staff_login(p)
    staff = p.ui(lambda: p.app.screen("staff"))
    p.wait(lambda: "未签到" in p.texts(), 10, "the windows saying nobody is signed in")
    p.tap("open_signin")
    sheet = p.ui(lambda: staff.ids.signin)
    p.wait(lambda: sheet.parent is not None and "未签到" in p.find("signin_window_2").text, 10, "the sheet")
    p.tap("signin_window_2")
    p.wait(lambda: sheet.window == "2", 5, "window 2 chosen")
    type_on_pad(p, "1001")
    p.tap("signin_next")
    type_on_pad(p, "9999")
    p.wait(lambda: (sheet.staff_id, len(sheet.pin)) == ("1001", 4), 5, "工号 and PIN typed")
    p.tap("signin_ok")
    p.wait(lambda: "工号或密码不对" in sheet.message, 10, "the wrong PIN refused")
    assert "工号或密码不对" in screen_text(p) and "2 秒后" in sheet.message, sheet.message
    assert shift_rows(data) == [], shift_rows(data)
    assert p.ui(lambda: (sheet.pin, sheet.field)) == ("", "pin")  # the 工号 stays, the PIN is typed again
    # The 2 s lock (tests/services/test_sign_in_lock.py) must be over before the right PIN is sent.
    p.wait(lambda: rt.sign_in_guard.state().lock_left == 0, 10, "the lock to pass")
    type_on_pad(p, "1234")
    p.tap("signin_ok")
    p.wait(lambda: "王芳 已在 2 号窗口签到" in sheet.message, 10, "signed in")
    p.wait(lambda: "王芳" in p.find("signin_window_2").text, 10, "window 2's button naming 王芳")
    assert shift_rows(data) == [(2, "1001", "王芳", None)], shift_rows(data)
    p.tap("signin_close")
    p.wait(lambda: not staff.signin_shown, 5, "the sheet to close")
    p.wait(lambda: staff.rows["2"].staff == "王芳" and "王芳" in p.texts(), 10, "window 2's row naming 王芳")
    p.tap("op_call_next_2")
    p.wait(
        lambda: rows(data, "SELECT window_number, staff_id FROM handlings") == [(2, "1001")],
        10,
        "the call at window 2 recording 1001",
    )
    p.wait(lambda: not p.app.overlay.showing, 30, "the call overlay to finish")
    p.tap("open_signin")
    p.wait(lambda: staff.signin_shown, 5, f"the sheet again ({p.screen()})")
    p.wait(lambda: "王芳" in p.find("signout").text, 10, "签退 naming 王芳")
    p.tap("signout")
    p.wait(lambda: shift_rows(data) == [(2, "1001", "王芳", "signed_out")], 10, "the shift ended")
    p.wait(lambda: "未签到" in p.find("signin_window_2").text, 10, "window 2 free again")
    assert "已从 2 号窗口签退" in sheet.message


staff_sign_in.config_changes = {  # type: ignore[attr-defined]
    "staff__roster": [
        {"staff_id": "1001", "name": "王芳", "pin_hash": hash_pin("1234", iterations=1000)},
        {"staff_id": "1002", "name": "李强", "pin_hash": hash_pin("5678", iterations=1000)},
    ]
}


def handling_rows(data: Path) -> list[tuple[Any, ...]]:
    return rows(
        data,
        "SELECT t.number, h.window_number, h.outcome, h.missing_materials, h.promised_due IS NOT NULL"
        " FROM handlings h JOIN tickets t ON t.id = h.ticket_id ORDER BY h.called_at",
    )


def open_sheet(p: Any, window: int, expect: str) -> Any:
    p.wait(lambda: not p.app.overlay.showing, 30, "the call overlay to finish")
    p.tap(f"op_more_{window}")
    sheet = p.ui(lambda: p.app.screen("staff").ids.sheet)
    p.wait(lambda: sheet.parent is not None and expect in sheet.heading, 10, f"the sheet saying {expect}")
    return sheet


@scenario
def window_sheet(p: Any, rt: Any, data: Path) -> None:
    """More than a keypad can do, from the staff screen: 挂起 and 叫回, 指定叫号 out of turn, and the
    outcomes 承诺件 and 材料不全 (which prints the 一次性告知单 and invites the rating)."""
    for code in ("pension_enrol", "pension_enrol", "social_card", "pension_enrol"):
        rt.issue_ticket(code, None).result(20)
    staff_login(p)
    p.tap("op_call_next_1")
    p.wait(lambda: handling_rows(data) == [("A001", 1, None, "[]", 0)], 10, "A001 called")

    open_sheet(p, 1, "正在办理 A001")
    # A touch on the dimmed screen around the sheet presses nothing underneath it.
    inputs = Inputs(p, rt)
    mark = inputs.mark()
    p.tap_xy(*p.locate("op_call_next_2"))
    inputs.settle(mark, ups=1)
    assert len(handling_rows(data)) == 1, handling_rows(data)
    p.tap("sheet_hold")
    p.wait(
        lambda: (
            rows(data, "SELECT status, held_by_window FROM tickets WHERE number = 'A001'") == [("held", 1)]
        ),
        10,
    )
    p.wait(lambda: not p.app.screen("staff").sheet_shown, 5, "the sheet to close")
    assert "已挂起" in p.app.screen("staff").status

    sheet = open_sheet(p, 1, "空闲")
    assert p.ui(lambda: [w.key for w in sheet.ids.waiting.children][::-1]) == [
        "pick_A002",
        "pick_C001",
        "pick_A003",
    ]
    assert "A001" in p.ui(lambda: p.find("sheet_call_held").text)
    p.tap("pick_C001")  # out of turn: A002 came first
    p.wait(lambda: [r[0] for r in handling_rows(data)] == ["A001", "C001"], 10, "C001 called")
    assert rows(data, "SELECT status FROM tickets WHERE number = 'A002'") == [("waiting",)]

    evaluations = len(rt.keypad_sim.frames(1, 0x01))
    open_sheet(p, 1, "正在办理 C001")
    p.tap("sheet_promised")
    p.wait(
        lambda: handling_rows(data)[1] == ("C001", 1, "promised", "[]", 1),
        10,
        "C001 a 承诺件 with its due date",
    )
    p.wait(lambda: len(rt.keypad_sim.frames(1, 0x01)) == evaluations + 1, 10, "the keypad inviting a rating")

    open_sheet(p, 1, "空闲")
    p.tap("sheet_call_held")
    p.wait(lambda: [r[0] for r in handling_rows(data)] == ["A001", "C001", "A001"], 10, "A001 called back")

    jobs = len(rt.printer_sim.jobs)
    sheet = open_sheet(p, 1, "正在办理 A001")
    p.tap("sheet_incomplete")
    p.tap("material_1")  # 户口簿
    p.wait(lambda: sheet.missing == ["户口簿"], 5, "户口簿 ticked")
    p.tap("sheet_incomplete_confirm")
    p.wait(lambda: handling_rows(data)[2][2] == "materials_incomplete", 10, "A001 finished 材料不全")
    assert json.loads(handling_rows(data)[2][3]) == ["户口簿"], handling_rows(data)
    rt.printer_sim.wait_for_jobs(jobs + 1)
    slip = rt.printer_sim.jobs[-1].text()
    assert "户口簿" in slip and "1 号窗口" in slip, slip
    p.wait(lambda: "一次性告知单已打印" in p.app.screen("staff").status, 10, "the 告知单 reported")


@scenario
def demo_first_minute(p: Any, rt: Any, data: Path) -> None:
    """The README's first command: within a minute of the home screen a newcomer sees tickets issued
    by simulated residents (with the printout preview), calls announced and ratings counted."""
    t0 = time.monotonic()

    def left() -> float:
        return max(0.1, 60 - (time.monotonic() - t0))

    p.wait(lambda: len(rt.printer_sim.jobs) >= 1, left(), "a simulated resident's ticket printed")
    p.wait(lambda: p.app.preview_texture is not None, left(), "the printout preview on the home screen")
    p.wait(lambda: p.app.overlay.shown_count >= 1, left(), "a call announced")
    p.wait(
        lambda: rows(data, "SELECT count(*) FROM ratings WHERE status = 'rated'")[0][0] >= 1,
        left(),
        "a rating counted",
    )
    counted = re.compile(r"今日 取号 [1-9]\d* · 叫号 [1-9]\d* · 评价 [1-9]")
    p.wait(lambda: counted.search(p.app.figures_line), left(), "today's figures on the home screen")


demo_first_minute.demo = True  # type: ignore[attr-defined]


@scenario
def call_overlay(p: Any, rt: Any, data: Path) -> None:
    """Two calls at once are shown one after the other, never on top of each other."""
    for code in ("pension_enrol", "minimum_living"):
        rt.issue_ticket(code, None).result(20)
    overlay = p.ui(lambda: p.app.overlay)
    green_channel = p.locate("green_channel")  # where it is, while the screen is not covered
    rt.window_op("call_next", 1).result(10)
    rt.window_op("call_next", 3).result(10)
    # (attached to the window a couple of frames after it is queued up, once its texts are rendered)
    p.wait(lambda: overlay.showing and overlay.number == "A001" and overlay.parent, 10, "first call")
    text = screen_text(p)
    assert "A001" in text and "到 [color=#FFD54A][b]1[/b][/color] 号窗口办理" in text, text
    assert not p.ui(lambda: overlay.compact)
    assert p.ui(lambda: p.app.sm.parent) is None  # covered screens are not drawn at all
    assert p.ui(lambda: overlay.pending) == 1
    # A touch on a full-screen call must not reach the button underneath; it shrinks the call to
    # a banner so the resident can go on.
    p.tap_xy(*green_channel)
    p.wait(lambda: overlay.compact and p.app.sm.parent is not None, 5, "the call shrunk to a banner")
    assert p.ui(lambda: p.app.screen("home").mode) == ""
    p.wait(lambda: overlay.number == "D001", 20, "second call")
    assert p.ui(lambda: list(overlay.history)) == [("A001", 1, False), ("D001", 3, False)]
    p.wait(lambda: not overlay.showing, 20, "overlay gone")
    p.wait(lambda: "D001　3号窗口" in p.texts(), 10, "latest calls list")
    rt.window_op("recall", 1).result(10)
    p.wait(lambda: overlay.showing and overlay.recall and overlay.parent, 10, "recall shown")
    assert "再次呼叫" in screen_text(p)


@scenario
def call_banner_with_board(p: Any, rt: Any, data: Path) -> None:
    """With a call board on the wall the entrance kiosk shows a call only as its banner (the screen
    beneath stays usable) and stays silent (the board speaks); the staff screen lists the board."""
    import urllib.request

    rt.issue_ticket("pension_enrol", None).result(20)
    overlay = p.ui(lambda: p.app.overlay)
    assert p.ui(lambda: p.app.voice.silent)
    rt.window_op("call_next", 1).result(10)
    p.wait(lambda: overlay.showing and overlay.number == "A001" and overlay.parent, 10, "the call")
    assert p.ui(lambda: overlay.compact), "a full-screen call although a board is configured"
    assert p.ui(lambda: p.app.sm.parent) is not None  # the home screen stays in place beneath
    assert "请 [color=#FFD54A][b]A001[/b][/color] 号" in screen_text(p)
    # A board connects (a real HTTP stream to the kiosk's board): the staff screen lists it.
    stream = urllib.request.urlopen(rt.board.url("/events?client=uiboard1"), timeout=10)
    try:
        assert stream.readline().startswith(b"retry:")
        p.wait(lambda: not overlay.showing, 20, "the banner gone")
        staff_login(p)
        p.wait(lambda: "1 块屏已连接" in p.app.screen("staff").health_text, 10, "the board listed")
        assert "综合屏（127.0.0.1）：在线" in p.app.screen("staff").health_text
    finally:
        stream.close()


call_banner_with_board.config_changes = {  # type: ignore[attr-defined]
    "board": {"host": "127.0.0.1", "port": 0, "voice": "board", "kiosk_calls": "banner"},
}


@scenario
def closed_then_open(p: Any, rt: Any, data: Path) -> None:
    """Out of hours the kiosk says so, with the hours and the next opening; at opening it is home."""
    p.wait(lambda: p.app.sm.current == "closed", 10, "the closed screen")
    text = screen_text(p)
    for expected in ("现在不是办公时间", "暂停取号", "上午 09:00–12:00", "下次开始取号：明天 09:00"):
        assert expected in text, (expected, text)
    assert p.ui(lambda: p.find("pension_enrol")) is None  # no service button to press
    rt.engine.clock.set(rt.engine.clock.now().replace(hour=1, minute=0))  # 09:00 in Shanghai
    p.wait(lambda: p.app.sm.current == "home", 10, "home at opening time")
    p.tap("pension_enrol")
    on_ticket_screen(p, "printed")


# After hours but before the nightly close (18:00): the scenario then winds the clock back to 09:00, which
# a day already closed by the nightly close (its own thread, every 2 s) would refuse.
closed_then_open.clock_at = "2026-11-25 17:45"  # type: ignore[attr-defined]


@scenario
def out_of_service(p: Any, rt: Any, data: Path) -> None:
    """A required printer going offline takes the kiosk out of service, and back when it returns."""
    rt.printer_sim.set_state("offline")
    p.wait(lambda: p.app.sm.current == "out_of_service", 15, "the out-of-service screen")
    text = screen_text(p)
    assert "暂停服务" in text and "请到窗口咨询工作人员" in text, text
    assert rows(data, "SELECT count(*) FROM tickets") == [(0,)]
    failures = legible(p, "out of service")
    assert not failures, "\n".join(["not legible:", *failures])
    rt.printer_sim.set_state("ready")
    p.wait(lambda: p.app.sm.current == "home", 15, "home once the printer is back")


out_of_service.printer_required = True  # type: ignore[attr-defined]


@scenario
def cheap_frames(p: Any, rt: Any, data: Path) -> None:
    """What keeps a frame cheap on a software renderer: no stencil clipping anywhere, nearest
    sampling for solid shapes and text, hidden parts out of the tree, repaints held while a ticket
    is issued and drawn once it is out."""
    from kivy import kivy_shader_dir
    from kivy.cache import Cache
    from kivy.core.window import Window
    from kivy.graphics import StencilPush

    from tests.ui.automation import walk

    def stencils() -> list[str]:
        found = []
        for screen in [*p.app.sm.screens, *Window.children, p.app.overlay]:
            for w in [p.app.sm, *walk(screen)]:
                for group in (w.canvas.before, w.canvas, w.canvas.after):
                    if any(isinstance(i, StencilPush) for i in group.children):
                        found.append(type(w).__name__)
        return found

    assert p.ui(stencils) == []
    default = Cache.get("kv.texture", f"{kivy_shader_dir}/default.png")
    assert (default.mag_filter, default.min_filter) == ("nearest", "nearest")
    label = p.ui(lambda: p.find("pension_enrol"))
    assert p.ui(lambda: label.texture.mag_filter) == "nearest"

    home = p.ui(lambda: p.app.screen("home"))
    banner = p.ui(lambda: home.ids.banner)
    assert p.ui(lambda: banner.parent) is None  # hidden: not drawn at all
    p.ui(p.app._poke)  # someone at the screen: an idle kiosk resets its modes every second
    p.ui(lambda: setattr(home, "mode", "guide"))  # what the guide screen's "choose a service" sets
    p.wait(lambda: banner.parent is not None and banner.height == 90, 5, "the guide banner shown")
    assert "办事指南：请选择要查看的业务" in screen_text(p)
    p.tap("cancel_mode")
    p.wait(lambda: banner.parent is None, 5, "the banner taken out again")

    flips = []
    real_flip = Window.flip
    Window.flip = lambda: (flips.append(time.monotonic()), real_flip())[1]
    try:
        held_at = p.ui(lambda: (p.app.draw_hold.hold(1.0), time.monotonic())[1])
        p.ui(lambda: setattr(p.app, "clock_text", "99:99"))  # a change that needs a repaint
        from kivy.clock import Clock

        ticks = p.ui(lambda: Clock.frames)  # each loop tick would draw a pending change
        p.wait(lambda: Clock.frames >= ticks + 5, 5, "five ticks of the event loop during the hold")
        assert not [t for t in flips if t > held_at], "a frame was drawn during the hold"
        p.ui(p.app.draw_hold.release)
        p.wait(lambda: [t for t in flips if t > held_at], 2, "the held frame drawn after release")
    finally:
        Window.flip = real_flip

    p.tap("pension_enrol")
    ticket = on_ticket_screen(p, "printed")
    assert p.ui(lambda: ticket.ids.qr.parent) is None  # printed, not a demo: no QR, nothing drawn
    assert not p.ui(lambda: p.app.draw_hold.holding)


class FrameCheck:
    """Every frame the kiosk draws, drawn a second time whole and compared pixel for pixel.

    Bound to the window's on_flip (after the frame is drawn, before the swap): the back buffer is
    read as drawn (partly, over the last frame), then the same state is drawn whole and read again.
    """

    def __init__(self, p: Any):
        self.p = p
        self.frames = 0
        self.partial = 0
        self.unchanged = 0
        self.mismatches: list[str] = []
        self.boxes: list[list[tuple[int, int, int, int]]] = []  # each frame's scissors
        self.split = 0  # partial frames drawn in more than one box

    def install(self) -> None:
        from kivy.core.window import Window

        Window.bind(on_flip=self._check)

    def settle(self, quiet: float = 0.6, timeout: float = 15.0) -> None:
        """Wait until the window has drawn nothing new for `quiet` seconds: the tickets' refreshes
        (each service's wait) land in frames of their own, not in the frame a check is about."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.p.ui(lambda: self.frames)
            time.sleep(quiet)
            if not any(self.p.ui(lambda seen=seen: self.boxes[seen:])):
                return
        raise AssertionError(f"the window never stopped changing: {self.boxes[-5:]}")

    def _read(self) -> bytes:
        from kivy.core.window import Window
        from kivy.graphics import opengl as gl

        return bytes(gl.glReadPixels(0, 0, Window.width, Window.height, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE))

    def _check(self, *_args: Any) -> None:
        from kivy.core.window import Window

        redraw = self.p.app.redraw
        boxes, redraw.last_boxes = redraw.last_boxes, None
        if boxes is None or self.p.app.draw_hold._skipped:
            return  # no frame drawn since the last check, or a frame held back
        whole = (0, 0, int(Window.width), int(Window.height))
        if boxes == [whole]:
            return  # drawn whole already
        self.frames += 1
        self.boxes.append(boxes)
        if not boxes:
            self.unchanged += 1
        else:
            self.partial += 1
            self.split += len(boxes) > 1
        drawn = self._read()
        redraw.draw_whole()
        truth = self._read()
        if drawn != truth:
            row = Window.width * 4
            rows = [
                y
                for y in range(Window.height)
                if drawn[y * row : (y + 1) * row] != truth[y * row : (y + 1) * row]
            ]
            cols = [
                x
                for x in range(Window.width)
                if any(
                    drawn[y * row + 4 * x : y * row + 4 * x + 4]
                    != truth[y * row + 4 * x : y * row + 4 * x + 4]
                    for y in rows[:: max(1, len(rows) // 20)]
                )
            ]
            where = (
                f"rows {rows[0]}–{rows[-1]}, columns {cols[0] if cols else '?'}–{cols[-1] if cols else '?'}"
            )
            self.mismatches.append(
                f"frame {self.frames} (boxes {boxes}): differs in {where} on screen {self.p.app.sm.current}"
            )


@scenario
def partial_frames(p: Any, rt: Any, data: Path) -> None:
    """A frame drawn only where it changed equals the frame drawn whole, pixel for pixel, through
    calls (full-screen and banner), a recall, a pause, the clock, the guide and a ticket; and the
    small changes really are drawn small."""
    from kivy.core.window import Window

    from kiosk.ui.partial_redraw import area

    assert p.ui(lambda: p.app.redraw.enabled), "partial redraws are off on llvmpipe"
    check = FrameCheck(p)
    p.ui(check.install)
    for code in ("pension_enrol", "minimum_living", "pension_enrol"):
        rt.issue_ticket(code, None).result(20)
    overlay = p.ui(lambda: p.app.overlay)
    # The clock's minute: a few per cent of the window.
    check.settle()
    before = check.frames
    p.ui(lambda: setattr(p.app, "clock_text", "10:31"))
    p.wait(lambda: check.frames > before, 5, "the clock's frame")
    clock_boxes = check.boxes[before]
    share = sum(map(area, clock_boxes)) / (Window.width * Window.height)
    assert 0 < share < 0.05, (clock_boxes, share)
    # The clock at the top and the 监督电话 at the foot in one frame: two small boxes, not one
    # box over the whole height between them.
    check.settle()
    before = check.frames
    p.ui(lambda: (setattr(p.app, "clock_text", "10:33"), setattr(p.app, "hotline", "0571-1234 5678")))
    p.wait(lambda: check.frames > before, 5, "the clock's and the hotline's frame")
    apart = check.boxes[before]
    share = sum(map(area, apart)) / (Window.width * Window.height)
    assert len(apart) == 2 and share < 0.1, (apart, share)
    rt.window_op("call_next", 1).result(10)
    p.wait(lambda: overlay.showing and overlay.number == "A001" and overlay.parent, 10, "first call")
    p.tap_xy(Window.width / 2, Window.height / 2)  # shrink it to the banner
    p.wait(lambda: overlay.compact, 5, "the banner")
    rt.window_op("call_next", 3).result(10)
    p.wait(lambda: overlay.number == "D001", 20, "second call")
    p.wait(lambda: not overlay.showing, 25, "calls gone")
    rt.window_op("recall", 3).result(10)
    p.wait(lambda: overlay.showing and overlay.recall, 10, "recall")
    p.wait(lambda: not overlay.showing, 25, "recall gone")
    rt.window_op("no_show", 1).result(10)
    rt.window_op("pause", 1).result(10)
    p.ui(lambda: setattr(p.app, "clock_text", "10:32"))
    p.tap("guide")
    p.wait(lambda: p.app.sm.current == "guide", 5, "the guide")
    p.ui(p.app.go_home)
    p.wait(lambda: p.app.sm.current == "home", 5, "home")
    p.tap("pension_enrol")
    on_ticket_screen(p, "printed")
    p.tap("ticket_done")
    p.wait(lambda: p.app.sm.current == "home", 5, "home again")
    time.sleep(1.5)
    p.ui(lambda: None)
    assert not check.mismatches, "\n".join(check.mismatches[:10])
    assert check.partial >= 5, (check.partial, check.frames, p.ui(lambda: p.app.redraw.counts))
    assert check.split >= 1, check.boxes
    print(
        f"partial frames compared: {check.frames} ({check.partial} partial, {check.split} of them in several boxes, {check.unchanged} unchanged); counts {p.app.redraw.counts}",
        file=sys.__stderr__,
    )


@scenario
def home_offers_only_what_issues(p: Any, rt: Any, data: Path) -> None:
    """A service whose cap is reached is not offered and says why; 绿色通道 names the hall's own
    categories; after 日结 the kiosk shows the closed screen, not services that would be refused."""
    home = p.ui(lambda: p.app.screen("home"))
    title = p.ui(lambda: p.app.hall_name)
    assert title.startswith("[font=") and title.endswith("]𠮷[/font]祥社区便民服务中心"), title  # no box
    green = p.ui(lambda: p.find("green_channel"))
    assert "80岁以上老人 · 现役军人" in p.ui(lambda: green.text), p.ui(lambda: green.text)
    assert "孕妇" not in p.ui(lambda: green.text)
    p.tap("pension_enrol")
    on_ticket_screen(p, "printed")
    p.tap("ticket_done")
    p.wait(lambda: p.app.sm.current == "home", 5, "home")
    p.wait(lambda: "号源已取完" in p.texts(), 10, "the cap reason on the button")
    assert p.ui(lambda: home._buttons["pension_enrol"].disabled)
    capped = p.ui(lambda: home._buttons["pension_enrol"])
    x, y = p.ui(lambda: capped.to_window(*capped.center))
    height = p.ui(lambda: p.app.root_window.height)
    inputs = Inputs(p, rt)
    mark = inputs.mark()
    p.tap_xy(int(p.left + x), int(p.top + height - y))  # a real touch on the greyed button: nothing
    inputs.settle(mark, ups=1)
    assert p.ui(lambda: p.app.sm.current) == "home"
    assert rows(data, "SELECT count(*) FROM tickets") == [(1,)]
    assert not p.ui(lambda: home._buttons["medical_insurance"].disabled)  # others are still offered
    rt.close_day().result(30)
    p.wait(lambda: p.app.sm.current == "closed", 10, "the closed screen after 日结")
    assert "今日已日结" in screen_text(p), screen_text(p)
    assert rows(data, "SELECT count(*) FROM tickets WHERE status = 'waiting'") == [(0,)]


home_offers_only_what_issues.config_changes = {  # type: ignore[attr-defined]
    "name": "𠮷祥社区便民服务中心",  # 𠮷 is outside the main CJK font
    "services__0__daily_cap": 1,
    "priority__categories": [
        {"code": "elderly", "label": "80岁以上老人"},
        {"code": "military", "label": "现役军人"},
    ],
}


def with_changes(config: Any, changes: dict[str, Any]) -> Any:
    """The config with dotted fields changed (``services__0__daily_cap``), validated again."""
    data = config.model_dump()
    for key, value in changes.items():
        target = data
        *parents, last = key.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return type(config).model_validate(data)


# ---- the home screen for 3 services or 40 ------------------------------------------------------------
HALLS = {
    "three": ROOT / "tests" / "ui" / "halls" / "three.yaml",
    "sample": ROOT / "assets" / "hall.sample.yaml",
    "forty": ROOT / "tests" / "ui" / "halls" / "forty.yaml",
}


def _window_box(w: Any) -> tuple[float, float, float, float]:
    x, y = w.to_window(w.x, w.y)
    return (x, y, w.width, w.height)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return (
        a[0] < b[0] + b[2] - 0.5
        and b[0] < a[0] + a[2] - 0.5
        and a[1] < b[1] + b[3] - 0.5
        and b[1] < a[1] + a[3] - 0.5
    )


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[0] + inner[2] <= outer[0] + outer[2] + 0.5
        and inner[1] + inner[3] <= outer[1] + outer[3] + 0.5
    )


def check_home_page(p: Any) -> list[str]:
    """The page on screen now: its service codes, after checking that each category heading sits in
    its section above its first service, nothing overlaps, everything is on screen without scrolling,
    buttons are at least 20 mm and their text meets WCAG AA on its colour (on the Kivy thread)."""
    from kivy.core.window import Window

    from kiosk.ui import palette
    from kiosk.ui.screens.home import CategoryTile, GroupFrame, GroupHeading, ServiceButton
    from kiosk.ui.widgets import KioskButton
    from tests.ui.automation import walk

    home = p.app.screen("home")
    scroll, area = home.ids.scroll, home.ids.services
    assert home.laid_out(), "checked before the layout followed the size"
    assert area.height <= scroll.height + 1, f"the page scrolls ({area.height:.0f} > {scroll.height:.0f})"
    screen_box = (0, 0, Window.width, Window.height)
    frames = [w for w in area.children if isinstance(w, GroupFrame)]
    headings = [w for w in area.children if isinstance(w, GroupHeading)]
    services = [w for w in area.children if isinstance(w, ServiceButton)]
    tiles = [w for w in area.children if isinstance(w, CategoryTile)]
    buttons = [w for w in walk(home) if isinstance(w, KioskButton) and p._visible(w)]
    for b in buttons:
        assert min(b.width, b.height) >= palette.MIN_TARGET_PX, (b.key, b.size, "smaller than 20 mm")
        assert _inside(_window_box(b), screen_box), (b.key, _window_box(b), "off screen")
    for b in services + tiles:
        ratio = palette.contrast(palette.WHITE, tuple(b.bg))
        assert ratio >= 4.5, (b.key, tuple(b.bg), ratio)
    # A service's own picture on its button (drawn from its file); the others carry none, their
    # category's being on the heading and the tile.
    from kiosk.services import home_plan

    config = p.app.config_hall
    for b in services:
        assert b.icon == home_plan.service_icon(config.service(b.key)), (b.key, b.icon)
        if b.icon:
            assert b._icon_rect.texture is not None and b._icon_rect.texture.size[0] > 0, (b.key, b.icon)
    looks = {g.name: g.icon_path for g in home_plan.groups(config)}
    for h in headings:
        assert h.icon == looks[h.name], (h.name, h.icon)
    for t in tiles:
        assert t.icon == looks[t.name], (t.name, t.icon)
    solid = buttons + headings
    for i, a in enumerate(solid):
        for b in solid[i + 1 :]:
            assert not _overlap(_window_box(a), _window_box(b)), (
                "overlap",
                getattr(a, "key", a.name),
                getattr(b, "key", b.name),
            )
    for h in headings:
        frame = next(f for f in frames if _inside(_window_box(h), _window_box(f)))
        first = next(b for b in services if b.category == h.name)
        assert _inside(_window_box(first), _window_box(frame)), (h.name, "first service outside its section")
        hb, fb = _window_box(h), _window_box(first)
        assert hb[1] >= fb[1] + fb[3] - 0.5, (h.name, "heading not above its first service")
        assert palette.contrast(tuple(h.colour), tuple(frame.tint)) >= 4.5, (h.name, "heading contrast")
        assert not isinstance(h, KioskButton) and not h.children[0].__class__.__name__.endswith("Button")
    for f in frames:
        assert sum(_overlap(_window_box(f), _window_box(g)) for g in frames) == 1, "sections overlap"
    from tests.ui.legibility import check_screen

    found, _checked = check_screen(f"home {'tiles' if tiles else 'page'} at scale {p.app.theme.scale}")
    assert not found, "\n".join(["not legible:", *map(str, found)])
    return [b.key for b in services]


@scenario
def home_layout(p: Any, rt: Any, data: Path) -> None:
    """Every service on screen or one category away, in sections that keep label and services
    together, without overlaps, in normal and 长者模式."""
    config = rt.config
    first_ask = config.home.first_ask.service if config.home.first_ask else None
    expected = sorted(s.code for s in config.services if s.code != first_ask)
    home = p.ui(lambda: p.app.screen("home"))
    for elder in (False, True):
        p.ui(p.app._poke)  # someone at the screen: an idle kiosk turns 长者模式 off every second
        p.ui(lambda e=elder: setattr(p.app.theme, "elder", e))
        scale = 1.3 if elder else 1.0
        p.wait(lambda s=scale: home.laid_out() and home._laid_for[2] == s, 15, "the home laid out again")
        time.sleep(0.2)
        if first_ask:
            assert p.ui(lambda: p.find("first_ask")) is not None
        if not p.ui(lambda: home.two_step):
            assert p.ui(lambda: p.app.theme.elder) == elder
            assert sorted(p.ui(lambda: check_home_page(p))) == expected
            continue
        p.ui(p.app._poke)
        assert p.ui(lambda: p.app.theme.elder) == elder
        p.ui(lambda: check_home_page(p))  # the category tiles
        seen: list[str] = []
        count = p.ui(lambda: len(home.groups))
        for i in range(count):
            p.ui(p.app._poke)
            if i < 2:  # a real finger on the first tiles and on 返回; the rest straight to the page
                p.tap(f"category_{i}")
                p.wait(
                    lambda k=i: home.page == k and p.find("back_categories") and home.laid_out(),
                    5,
                    f"category {i}",
                )
            else:
                p.ui(lambda k=i: home.show_page(k))
            p.wait(home.laid_out, 5, "the category's page laid out")
            seen += p.ui(lambda: check_home_page(p))
            assert p.ui(lambda: p.find("back_categories")) is not None
            if i < 2:
                p.tap("back_categories")
                p.wait(lambda: home.page == -1 and home.laid_out(), 5, "back to the categories")
        p.ui(lambda: home.show_page(-1))
        assert sorted(seen) == expected, (sorted(set(expected) - set(seen)), "not one step away")
    p.ui(lambda: setattr(p.app.theme, "elder", False))


@scenario
def first_ask_end_to_end(p: Any, rt: Any, data: Path) -> None:
    """「不知道办什么？」: a 咨询 number for the 首问窗口, called there, transferred keeping its place,
    finished and rated at the right service, and counted as 咨询 in the day's figures."""
    p.tap("first_ask")
    on_ticket_screen(p, "printed")
    assert "Z001" in screen_text(p), screen_text(p)
    rt.issue_ticket("residence_proof", None).result(20)  # J001 comes after Z001
    p.tap("ticket_done")
    p.wait(lambda: p.app.sm.current == "home", 5, "home")
    rt.window_op("call_next", 4).result(10)  # the 首问窗口 takes 咨询 first
    assert rows(
        data, "SELECT t.number, h.service_code FROM handlings h JOIN tickets t ON t.id = h.ticket_id"
    ) == [("Z001", "consult")]
    rt.engine.clock.advance(120)  # the 首问 talk takes two minutes
    rt.window_op("transfer", 4, "residence_proof").result(10)
    assert rows(data, "SELECT service_code, status FROM tickets WHERE number = 'Z001'") == [
        ("residence_proof", "waiting")
    ]
    rt.engine.clock.advance(30)
    rt.window_op("call_next", 4).result(10)  # its place kept: before J001, issued later
    called = rows(
        data, "SELECT t.number FROM handlings h JOIN tickets t ON t.id = h.ticket_id ORDER BY h.called_at"
    )
    assert [c[0] for c in called] == ["Z001", "Z001"], called
    rt.window_op("finish", 4).result(10)
    rt.rate(4, 1).result(10)
    figures = rt.today_figures()
    consult, proof = figures.services["consult"], figures.services["residence_proof"]
    assert (consult.issued, consult.called, consult.finished) == (1, 1, 0), consult
    assert (proof.issued, proof.finished, proof.rated, proof.satisfied) == (1, 1, 1, 1), proof
    assert figures.hall.issued == 2 and figures.hall.rated == 1


@scenario
def elder_spoken_help(p: Any, rt: Any, data: Path) -> None:
    """长者模式: the first touch says the service's name and asks for a second; the second takes the
    number and the ticket is read out. The prompts are made off the UI thread and follow the config."""
    from kiosk.ui.spoken_help import SpokenHelp, ticket_words

    spoken = p.ui(lambda: p.app.spoken)
    p.ui(p.app._poke)
    p.tap("elder_mode")
    p.wait(lambda: p.app.theme.elder and p.app.screen("home").laid_out(), 5, "长者模式 on, laid out")
    assert spoken.built.wait(90), "the prompts were not made"
    assert not spoken.problem, spoken.problem
    import wave

    for key in spoken.texts:
        with wave.open(str(spoken.ready[key]), "rb") as w:
            assert 0.4 < w.getnframes() / w.getframerate() < 12, key
    p.ui(p.app._poke)
    if p.ui(lambda: p.app.screen("home").two_step):  # 长者模式's larger buttons: by category
        p.tap("category_0")
        p.wait(lambda: spoken.last == [spoken.ready["category:社保医保"]], 5, "the category said")
    p.tap("social_card")
    button = p.ui(lambda: p.app.screen("home")._buttons["social_card"])
    p.wait(lambda: button.armed and "再按一次 取号" in button.text, 5, "the button asking for a second touch")
    assert spoken.last == [spoken.ready["service:social_card"]], spoken.last
    time.sleep(0.6)
    assert p.ui(lambda: p.app.sm.current) == "home" and ticket_rows(data) == []
    p.tap("social_card")
    on_ticket_screen(p, "printed")
    assert ticket_rows(data) == [("C001", "social_card", None, "printed")]
    p.wait(lambda: spoken.last == ticket_words("C001", [1, 2]), 5, "the ticket read out")
    assert spoken.last[:2] == ["ninde", "lC"]
    # A renamed service gets a new prompt, the old one is deleted, the others are kept as they are.
    folder = spoken.folder
    before = {f.name: f.stat().st_mtime for f in folder.glob("*.wav")}
    services = [
        s.model_copy(update={"name": "社保卡补换"}) if s.code == "social_card" else s
        for s in rt.config.services
    ]
    again = SpokenHelp(None, folder, rt.config.model_copy(update={"services": services}))
    again.build()
    after = {f.name: f.stat().st_mtime for f in folder.glob("*.wav")}
    assert spoken.ready["service:social_card"].name not in after
    assert again.ready["service:social_card"].name in after
    kept = set(before) - {spoken.ready["service:social_card"].name}
    assert all(after[n] == before[n] for n in kept)


# ---- every screen legible ----------------------------------------------------------------------------
def legible(p: Any, where: str, elder: tuple[bool, ...] = (False, True)) -> list[str]:
    """The screen as it is now, in normal and 长者模式: every text's contrast against what it is
    drawn on, and every button's size (tests/ui/legibility.py). Returns what fails."""
    from tests.ui.legibility import check_screen

    failures: list[str] = []
    for e in elder:
        p.ui(p.app._poke)  # someone at the screen: an idle kiosk turns 长者模式 off
        p.ui(lambda v=e: setattr(p.app.theme, "elder", v))
        home = p.app.screen("home")
        p.wait(lambda h=home: p.app.sm.current != "home" or h.laid_out(), 5, "the home laid out")
        for _ in range(3):  # layout, then the texts it resized, then the frame drawn
            p.ui(lambda: None)
            time.sleep(0.05)
        found, checked = p.ui(lambda e=e: check_screen(f"{where}{' 长者模式' if e else ''}"))
        assert checked > 0, (where, "no text found on the canvas")
        failures += [str(f) for f in found]
    p.ui(lambda: setattr(p.app.theme, "elder", False))
    return failures


@scenario
def every_screen_legible(p: Any, rt: Any, data: Path) -> None:
    """Each screen and state of the kiosk, normal and 长者模式: text at WCAG AA on what it is drawn on,
    buttons at least 20 mm. Collects every failure before failing, so one run lists them all."""
    failures: list[str] = []
    home = p.ui(lambda: p.app.screen("home"))
    rt.issue_ticket("veteran_card", None).result(20)  # its cap is 1: the button says why, greyed
    p.wait(lambda: home._refused.get("veteran_card"), 10, "veteran_card refused")
    failures += legible(p, "home")
    p.ui(lambda: setattr(home, "priority_label", "80岁以上老人"))
    p.ui(lambda: setattr(home, "mode", "priority"))
    failures += legible(p, "home 绿色通道")
    p.ui(lambda: setattr(home, "mode", "guide"))
    failures += legible(p, "home 办事指南")
    p.ui(home.reset_modes)
    p.tap("green_channel")
    p.wait(lambda: p.find("priority_elderly"), 5, "the 绿色通道 picker")
    failures += legible(p, "绿色通道 picker")
    p.tap("priority_cancel")
    p.tap("guide")
    p.wait(lambda: p.app.sm.current == "guide", 5, "guide")
    failures += legible(p, "guide")
    p.tap("guide_social_card")
    failures += legible(p, "guide social_card")
    p.tap("guide_take")
    on_ticket_screen(p, "printed")
    failures += legible(p, "ticket printed")
    p.tap("ticket_done")
    rt.printer_sim.set_state("paper_out")
    p.wait(lambda: rt.health().printer_state == "paper_out", 10, "the printer fault to be seen")
    p.tap("residence_proof")
    screen = on_ticket_screen(p, "fault")
    p.wait(lambda: screen.qr_texture is not None, 10, "the QR code")
    failures += legible(p, "ticket printer fault")
    rt.printer_sim.set_state("ready")
    p.tap("ticket_done")
    p.wait(lambda: p.app.sm.current == "home", 5, "home")
    overlay = p.ui(lambda: p.app.overlay)
    p.ui(lambda: setattr(p.app, "_last_touch", -1e9))  # nobody at the screen: a full-screen call
    rt.window_op("call_next", 1).result(10)
    p.wait(lambda: overlay.showing and not overlay.compact and overlay.parent, 10, "full-screen call")
    failures += legible(p, "call overlay", elder=(False,))  # 长者模式 pokes the screen: a banner
    p.tap_xy(500, 900)
    p.wait(lambda: overlay.compact and overlay.parent, 5, "the call shrunk to a banner")
    failures += legible(p, "call banner")
    p.wait(lambda: not overlay.showing, 30, "the call gone")
    p.tap("staff")
    for k in "13":
        p.tap(f"pin_{k}")
    failures += legible(p, "PIN")
    for k in "57":
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    pin = p.ui(lambda: p.app.screen("pin"))
    p.wait(lambda: pin.locked, 5, "locked")
    failures += legible(p, "PIN locked", elder=(False,))  # the lock lasts 2 s
    p.wait(lambda: not pin.locked, 10, "the lock to end")
    for k in "2468":
        p.tap(f"pin_{k}")
    p.tap("pin_ok")
    staff = p.ui(lambda: p.app.screen("staff"))
    p.wait(lambda: p.app.sm.current == "staff" and staff.figures_text, 10, "the staff screen")
    rt.issue_ticket("minimum_living", None).result(20)
    rt.window_op("call_next", 3).result(10)
    p.wait(lambda: not overlay.showing, 30, "the call gone")
    failures += legible(p, "staff")
    sheet = open_sheet(p, 3, "正在办理")
    failures += legible(p, "window sheet")
    p.tap("sheet_incomplete")
    p.tap("material_1")
    p.wait(lambda: sheet.missing, 5, "a material ticked")
    failures += legible(p, "window sheet 材料不全")
    p.tap("sheet_close")
    p.wait(lambda: not staff.sheet_shown, 5, "the sheet closed")
    p.tap("open_signin")
    signin = p.ui(lambda: staff.ids.signin)
    p.wait(lambda: signin.parent is not None, 10, "the sign-in sheet")
    failures += legible(p, "sign-in sheet")
    p.tap("signin_window_2")
    type_on_pad(p, "1001")
    p.tap("signin_next")
    type_on_pad(p, "9999")
    p.tap("signin_ok")
    p.wait(lambda: "工号或密码不对" in signin.message, 10, "the wrong PIN refused")
    failures += legible(p, "sign-in sheet refused")
    p.tap("signin_close")
    p.wait(lambda: not staff.signin_shown, 5, "the sheet closed")
    p.tap("staff_exit")
    p.wait(lambda: p.app.sm.current == "home", 5, "home")
    rt.engine.clock.set(rt.engine.clock.now().replace(hour=12, minute=30))  # 20:30 in Shanghai
    p.wait(lambda: p.app.sm.current == "closed", 10, "the closed screen")
    failures += legible(p, "closed")
    assert not failures, "\n".join(["not legible:", *failures])


every_screen_legible.config_changes = {  # type: ignore[attr-defined]
    "services__10__daily_cap": 1,
    **staff_sign_in.config_changes,  # type: ignore[attr-defined]
}


# ---- process ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--hall", choices=sorted(HALLS), default="sample")
    args = parser.parse_args(argv)
    w, h = (int(x) for x in args.size.split("x"))

    from kiosk.ui.hardening import configure

    configure(size=(w, h))
    from kiosk.ui.fonts import register_default_font

    assert register_default_font(), "no Chinese font"
    from kiosk.services.demo import build_demo_runtime
    from kiosk.services.runtime import build_runtime
    from kiosk.ui.app import KioskApp
    from tests.ui.automation import fixed_clock, run_with_pilot, sample_config

    fn = SCENARIOS[args.scenario]
    config = sample_config(str(HALLS[args.hall]), baudrate=115200)
    if getattr(fn, "printer_required", False):
        devices = config.devices.model_copy(update={"printer_required": True})
        config = config.model_copy(update={"devices": devices})
    config = with_changes(config, getattr(fn, "config_changes", {}))
    clock = fixed_clock(getattr(fn, "clock_at", "2026-11-25 10:00"))
    build = build_demo_runtime if getattr(fn, "demo", False) else build_runtime
    runtime = build(config, args.data_dir, clock=clock).start()
    app = KioskApp(runtime, portrait=h > w)
    try:
        errors = run_with_pilot(app, lambda p: SCENARIOS[args.scenario](p, runtime, args.data_dir))
    finally:
        runtime.stop()
    report = "\n".join(
        [
            *errors,
            f"scenario {args.scenario} ({args.hall}) at {args.size}: {'FAILED' if errors else 'passed'}",
        ]
    )
    # Kivy swallows a piped stderr, so the report also goes to a file the test reads back.
    Path(f"{args.data_dir}.report.txt").write_text(report, encoding="utf-8")
    print(report, file=sys.__stderr__)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
