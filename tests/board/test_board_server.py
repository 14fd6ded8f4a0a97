"""The call board's server on loopback over real HTTP, fed by a real kiosk runtime (SQLite, simulated
printer): snapshot, events from the engine's notices, Last-Event-ID replay, token, bad requests."""

from __future__ import annotations

import datetime as dt
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.board.model import BoardModel, stripe_colour
from kiosk.config.schema import HallConfig
from kiosk.engine.clock import ManualClock
from kiosk.services import home_plan
from kiosk.services.runtime import KioskRuntime
from kiosk.services.ui_support import board_lines
from tests.board.support import SSE, board_config, start_runtime


@pytest.fixture
def runtime(sample_config: HallConfig, tmp_path: Path, clock: ManualClock) -> Iterator[KioskRuntime]:
    rt = start_runtime(board_config(sample_config), tmp_path, clock)
    yield rt
    rt.stop()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(errors="replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def test_a_call_from_the_engine_reaches_the_stream_and_a_missed_call_is_replayed(
    runtime: KioskRuntime,
) -> None:
    assert runtime.board is not None
    port = runtime.board.port
    for code in ("pension_enrol", "pension_enrol", "medical_insurance", "minimum_living"):
        runtime.issue_ticket(code).result(10)
    first = SSE(port, "/events?client=test01")
    snap = first.until(lambda e: e["event"] == "snapshot")
    assert [w["number"] for w in snap["data"]["windows"]] == [1, 2, 3, 4]
    runtime.window_op("call_next", 1).result(10)
    call = first.until(lambda e: e["event"] == "call")
    assert (call["data"]["number"], call["data"]["window"]) == ("A001", 1)
    assert call["data"]["segments"][:3] == ["chime", "qing", "lA"]
    first.close()
    witness = SSE(port, "/events?client=witness")  # stays connected: tells when the board has it all
    witness.until(lambda e: e["event"] == "snapshot")

    # Away for three calls, back with the last id it saw: exactly those three, marked as replays.
    runtime.window_op("no_show", 1).result(10)
    runtime.window_op("call_next", 2).result(10)
    runtime.window_op("call_next", 3).result(10)
    runtime.window_op("recall", 3).result(10)
    witness.until(lambda e: e["event"] == "call" and e["data"]["recall"])
    again = SSE(port, "/events?client=test01", {"Last-Event-ID": call["id"]})
    calls = []
    while len(calls) < 3:
        ev = again.until(lambda e: e["event"] in ("call", "snapshot"))
        assert ev["event"] == "call", "a reconnect with a known id gets the missed events, not a snapshot"
        calls.append(ev["data"])
    assert [(c["number"], c["window"], c["recall"]) for c in calls] == [
        ("B001", 2, False),
        ("D001", 3, False),
        ("D001", 3, True),
    ]
    assert all(c["replay"] for c in calls)
    again.close()

    # An id from another kiosk process (a restart) gets a snapshot with the latest calls.
    other = SSE(port, "/events?client=test02", {"Last-Event-ID": "0-5"})
    snap = other.until(lambda e: e["event"] == "snapshot")
    latest = [(c["number"], c["window"], c["mark"]) for c in snap["data"]["latest"]]
    assert latest[:3] == [("D001", 3, "再次呼叫"), ("B001", 2, ""), ("A001", 1, "过号")]
    windows = {w["number"]: w for w in snap["data"]["windows"]}
    assert windows[1]["current"] is None and windows[3]["current"] == "D001"
    other.close()


def test_heartbeats_and_waiting_counts(runtime: KioskRuntime) -> None:
    assert runtime.board is not None
    stream = SSE(runtime.board.port, "/events?client=beat01&page=window-2")
    stream.until(lambda e: e["event"] == "snapshot")
    stream.until(lambda e: e["event"] == "heartbeat", timeout=5)
    runtime.issue_ticket("social_card").result(10)
    ev = stream.until(lambda e: e["event"] == "queue")
    card = next(s for s in ev["data"]["services"] if s["code"] == "social_card")
    assert card["waiting"] == 1
    clients = runtime.board.clients()
    assert [(c.page, c.connected) for c in clients] == [("window 2", True)]
    stream.close()


def test_pages_escape_configured_text_and_refuse_bad_requests(
    sample_config: HallConfig, tmp_path: Path, clock: ManualClock
) -> None:
    config = board_config(sample_config, ticker=["<script>alert(1)</script>请带身份证"])
    config = config.model_copy(update={"name": "<b>大厅</b>"})
    rt = start_runtime(config, tmp_path, clock)
    try:
        assert rt.board is not None
        base = f"http://127.0.0.1:{rt.board.port}"
        status, html, headers = get(base + "/board")
        assert status == 200
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff"
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;请带身份证" in html
        assert "&lt;b&gt;大厅&lt;/b&gt;" in html
        assert get(base + "/window/99")[0] == 404
        assert get(base + "/window/x")[0] == 422
        assert get(base + "/events?client=BAD!")[0] == 422
        assert get(base + "/events?client=abcdef&page=window-99")[0] == 422
        assert get(base + "/voice/..%2Fhall.wav")[0] == 404
        assert get(base + "/voice/nosuch.wav")[0] == 404
        for name in ("chime", "lA", "d0", "chuangkou"):  # every segment a call is made of
            status, _, headers = get(base + f"/voice/{name}.wav")
            assert status == 200 and headers["content-type"] == "audio/wav", name
        assert get(base + "/static/../server.py")[0] == 404
    finally:
        rt.stop()


def test_a_token_guards_every_page_and_the_stream(
    sample_config: HallConfig, tmp_path: Path, clock: ManualClock
) -> None:
    rt = start_runtime(board_config(sample_config, token="hall-lan-secret"), tmp_path, clock)
    try:
        assert rt.board is not None
        base = f"http://127.0.0.1:{rt.board.port}"
        for path in ("/board", "/window/1", "/events?client=abcdef", "/voice/chime.wav"):
            status = get(base + path)[0]
            assert status == 403, path
        assert get(base + "/board?token=wrong-secret")[0] == 403
        status, _, headers = get(base + "/board?token=hall-lan-secret")
        assert status == 200
        cookie = headers["set-cookie"].split(";")[0]
        assert get(base + "/window/2", {"Cookie": cookie})[0] == 200
        stream = SSE(rt.board.port, "/events?client=abcdef", {"Cookie": cookie})
        stream.until(lambda e: e["event"] == "snapshot")
        stream.close()
    finally:
        rt.stop()


def test_a_taken_port_leaves_the_kiosk_working_and_tells_staff(
    sample_config: HallConfig, tmp_path: Path, clock: ManualClock
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        rt = start_runtime(board_config(sample_config, port=port), tmp_path, clock)
        try:
            assert rt.board is not None and rt.board.error
            assert rt.issue_ticket("pension_enrol").result(10).ticket.number == "A001"
            health = rt.health()
            lines = board_lines(health.boards, health.sync.last_success or clock.now())
            assert "综合屏服务未能启动" in lines[0]
        finally:
            rt.stop()


def test_staff_lines_list_each_board_and_when_it_was_last_seen(runtime: KioskRuntime) -> None:
    assert runtime.board is not None
    a = SSE(runtime.board.port, "/events?client=tvboard1")
    a.until(lambda e: e["event"] == "snapshot")
    b = SSE(runtime.board.port, "/events?client=window3a&page=window-3")
    b.until(lambda e: e["event"] == "snapshot")
    b.close()
    runtime.window_op("pause", 3).result(10)  # an event makes the server notice the closed stream
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sum(c.connected for c in runtime.board.clients()) != 1:
        time.sleep(0.05)
    runtime.health_monitor.refresh()
    health = runtime.health()
    lines = board_lines(health.boards, dt.datetime.now(dt.UTC))
    assert lines[0].endswith("1 块屏已连接")
    assert any(line.startswith("　综合屏（127.0.0.1）：在线") for line in lines)
    assert any(line.startswith("　3 号窗口屏（127.0.0.1）：") and "已断开" in line for line in lines)
    a.close()


def test_the_boards_data_carries_each_services_kiosk_colour_and_numbers_read_back_by_prefix(
    sample_config: HallConfig,
) -> None:
    model = BoardModel.create(sample_config, 8, False)
    snap = model.snapshot()
    for line in snap["services"]:
        assert line["colour"] == home_plan.service_colour(sample_config, line["code"])
        assert line["stripe"] == stripe_colour(line["colour"]) != line["colour"]
        # No personal data:
        assert set(line) == {"code", "name", "colour", "stripe", "waiting", "wait_min", "wait_max"}
    living = next(s for s in sample_config.services if s.code == "minimum_living")
    number = f"{living.prefix}007"
    # After a restart the calls come back from the database as numbers only: the prefix names the service.
    model.load({3: (number, False)}, [(number, 3)], {})
    snap = model.snapshot()
    colour = home_plan.service_colour(sample_config, "minimum_living")
    stripe = stripe_colour(colour)
    window_3 = next(w for w in snap["windows"] if w["number"] == 3)
    assert (window_3["colour"], window_3["stripe"]) == (colour, stripe)
    latest = {"number": number, "window": 3, "mark": "", "colour": colour, "stripe": stripe}
    assert snap["latest"][0] == latest
    window_1 = next(w for w in snap["windows"] if w["number"] == 1)
    assert (window_1["colour"], window_1["stripe"]) == ("", "")
