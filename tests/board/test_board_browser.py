"""The call board in a real browser: Debian's chromium driven by Playwright (executable_path, nothing
downloaded), the kiosk a real child process (SQLite, keypad bus on a pty, board on loopback).
Every assertion reads what the page shows (DOM text)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kiosk.board.model import stripe_colour
from kiosk.config.loader import load_config
from kiosk.services import home_plan
from tests.board.support import CHROMIUM, CHROMIUM_ARGS, BoardKiosk, CuttableLink
from tests.conftest import SAMPLE_CONFIG
from tests.sync_support import free_port

WAIT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[BoardKiosk]:
    k = BoardKiosk(tmp_path, SAMPLE_CONFIG, free_port(), highlight_seconds=2.0, voice="board")
    k.start()
    yield k
    k.stop()


def open_page(browser: Browser, url: str, size: tuple[int, int] = (1920, 1080)) -> Page:
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.goto(url)
    expect(page.locator("#offline")).to_be_hidden(timeout=WAIT_MS)  # connected: the snapshot arrived
    return page


def latest(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#latest li").all_inner_texts()]


def test_a_caller_key_on_the_pty_bus_shows_the_number_at_that_window(
    browser: Browser, kiosk: BoardKiosk
) -> None:
    kiosk.issue("pension_enrol", "minimum_living")
    board = open_page(browser, kiosk.url("/board"))
    screen = open_page(browser, kiosk.url("/window/3"), (1280, 800))
    expect(board.locator("#hall")).to_have_text("柏杨街道双阳社区便民服务中心")
    expect(board.locator("#svc-minimum_living .svc-wait")).to_have_text("1 人")
    expect(screen.locator("main")).to_contain_text("民政残联窗口")
    expect(screen.locator(".ws-services")).to_contain_text("最低生活保障申请")

    kiosk.press(3, "CALL_NEXT")
    expect(board.locator("#win-3-current")).to_have_text("D001", timeout=WAIT_MS)
    expect(board.locator("#callout")).to_contain_text("请 D001 号")
    expect(board.locator("#callout")).to_contain_text("到 3 号窗口办理")
    assert latest(board)[0].startswith("D001")
    assert "3 号窗口" in latest(board)[0]
    expect(board.locator("#svc-minimum_living .svc-wait")).to_have_text("0 人", timeout=WAIT_MS)
    expect(screen.locator("#win-3-current")).to_have_text("D001", timeout=WAIT_MS)
    expect(screen.locator("#win-3-label")).to_have_text("正在办理")
    # Window 1 was not called: its screen and its card on the board say nobody is being served.
    expect(board.locator("#win-1-current")).to_have_text("—")

    kiosk.press(3, "REQUEST_RATING")  # the service ends: the window screen follows its window
    expect(screen.locator("#win-3-current")).to_have_text("—", timeout=WAIT_MS)
    expect(screen.locator("#win-3-label")).to_have_text("等待叫号")
    kiosk.press(3, "PAUSE")
    expect(screen.locator("#win-3-current")).to_have_text("暂停服务", timeout=WAIT_MS)
    expect(screen.locator("#win-3-state")).to_have_text("请到其他窗口办理")
    expect(board.locator("#win-3-current")).to_have_text("暂停服务", timeout=WAIT_MS)
    kiosk.press(3, "PAUSE")
    expect(screen.locator("#win-3-current")).to_have_text("—", timeout=WAIT_MS)
    expect(screen.locator("#win-3-state")).to_have_text("")


def test_recall_no_show_and_pause_as_the_board_shows_them(browser: Browser, kiosk: BoardKiosk) -> None:
    kiosk.issue("pension_enrol", "pension_enrol", "medical_insurance")
    board = open_page(browser, kiosk.url("/board"))
    kiosk.press(1, "CALL_NEXT")
    expect(board.locator("#win-1-current")).to_have_text("A001", timeout=WAIT_MS)
    kiosk.press(1, "RECALL")
    expect(board.locator("#win-1-state")).to_have_text("再次呼叫", timeout=WAIT_MS)
    expect(board.locator("#latest li").first).to_contain_text("再次呼叫")
    expect(board.locator("#callout-kind")).to_have_text("再次呼叫", timeout=WAIT_MS)

    kiosk.press(1, "NO_SHOW")
    expect(board.locator("#win-1-current")).to_have_text("—", timeout=WAIT_MS)
    expect(board.locator("#latest li").first).to_contain_text("A001")
    expect(board.locator("#latest li").first).to_contain_text("过号")

    kiosk.press(2, "PAUSE")
    expect(board.locator("#win-2-current")).to_have_text("暂停服务", timeout=WAIT_MS)
    kiosk.press(2, "PAUSE")
    expect(board.locator("#win-2-current")).to_have_text("—", timeout=WAIT_MS)
    kiosk.press(2, "CALL_NEXT")
    expect(board.locator("#win-2-current")).to_have_text("B001", timeout=WAIT_MS)


def test_two_calls_a_second_apart_both_appear_in_order(browser: Browser, kiosk: BoardKiosk) -> None:
    kiosk.issue("pension_enrol", "minimum_living")
    board = open_page(browser, kiosk.url("/board"))
    kiosk.press(1, "CALL_NEXT")
    time.sleep(1.0)
    kiosk.press(3, "CALL_NEXT")
    expect(board.locator("#win-3-current")).to_have_text("D001", timeout=WAIT_MS)
    expect(board.locator("#win-1-current")).to_have_text("A001")
    assert [line.split()[0] for line in latest(board)[:2]] == ["D001", "A001"]
    # Highlighted one after the other, never both at once: first A001, then D001.
    expect(board.locator("#callout-number")).to_have_text("A001", timeout=WAIT_MS)
    expect(board.locator("#callout-number")).to_have_text("D001", timeout=WAIT_MS)
    expect(board.locator("#callout")).to_be_hidden(timeout=WAIT_MS)
    shown = board.evaluate("window.boardPaints.map(p => p.number)")
    assert shown == ["A001", "D001"]
    # The board spoke both (voice: board), in order, the second only after the first had ended.
    spoken = board.evaluate("window.boardSpoken")
    assert [s["number"] for s in spoken] == ["A001", "D001"]
    assert all(s["running"] for s in spoken), spoken  # the audio really ran (autoplay flag)
    assert spoken[0]["end"] - spoken[0]["start"] > 1500  # the recorded segments, not silence
    assert spoken[1]["start"] >= spoken[0]["end"]


def test_a_windows_newer_call_replaces_its_call_still_waiting_to_be_highlighted(
    browser: Browser, kiosk: BoardKiosk
) -> None:
    kiosk.issue("pension_enrol", "minimum_living", "minimum_living")
    board = open_page(browser, kiosk.url("/board"))
    kiosk.press(1, "CALL_NEXT")
    expect(board.locator("#callout-number")).to_have_text("A001", timeout=WAIT_MS)
    # While A001 is highlighted (and spoken), window 3 calls D001, marks it 过号 and calls D002:
    # D001 never takes the screen, as on the kiosk's own overlay.
    kiosk.press(3, "CALL_NEXT")
    kiosk.press(3, "NO_SHOW")
    kiosk.press(3, "CALL_NEXT")
    expect(board.locator("#win-3-current")).to_have_text("D002", timeout=WAIT_MS)
    assert board.evaluate("window.boardHighlights") == ["A001"], "A001 was cut short"
    expect(board.locator("#callout-number")).to_have_text("D002", timeout=WAIT_MS)
    expect(board.locator("#callout")).to_be_hidden(timeout=WAIT_MS)
    assert board.evaluate("window.boardHighlights") == ["A001", "D002"]
    assert [line.split()[0] for line in latest(board)[:3]] == ["D002", "D001", "A001"]
    expect(board.locator("#latest li").nth(1)).to_contain_text("过号")


def test_a_killed_kiosk_shows_the_outage_and_the_board_recovers_after_the_restart(
    browser: Browser, kiosk: BoardKiosk
) -> None:
    kiosk.issue("pension_enrol", "pension_enrol")
    board = open_page(browser, kiosk.url("/board"))
    kiosk.press(1, "CALL_NEXT")
    expect(board.locator("#win-1-current")).to_have_text("A001", timeout=WAIT_MS)

    kiosk.kill()  # SIGKILL: the power cord
    expect(board.locator("#offline")).to_be_visible(timeout=WAIT_MS)
    expect(board.locator("#offline")).to_have_text("连接中断，正在重连")
    kiosk.start()
    expect(board.locator("#offline")).to_be_hidden(timeout=WAIT_MS)
    expect(board.locator("#win-1-current")).to_have_text("A001")  # from the new process's snapshot
    kiosk.press(1, "REQUEST_RATING")
    kiosk.press(1, "CALL_NEXT")
    expect(board.locator("#win-1-current")).to_have_text("A002", timeout=WAIT_MS)
    assert latest(board)[0].startswith("A002")


def test_a_board_cut_off_during_three_calls_lists_all_three_when_it_is_back(
    browser: Browser, kiosk: BoardKiosk
) -> None:
    kiosk.issue("pension_enrol", "medical_insurance", "minimum_living", "residence_proof")
    link = CuttableLink(kiosk.port)
    try:
        board = open_page(browser, kiosk.url("/board", link.port))
        kiosk.press(1, "CALL_NEXT")
        expect(board.locator("#win-1-current")).to_have_text("A001", timeout=WAIT_MS)

        link.cut()
        expect(board.locator("#offline")).to_be_visible(timeout=WAIT_MS)
        kiosk.press(2, "CALL_NEXT")
        kiosk.press(3, "CALL_NEXT")
        kiosk.press(4, "CALL_NEXT")
        time.sleep(1.0)
        assert [line.split()[0] for line in latest(board)] == ["A001"]  # nothing reached it meanwhile
        link.restore()

        expect(board.locator("#offline")).to_be_hidden(timeout=WAIT_MS)
        expect(board.locator("#win-4-current")).to_have_text("J001", timeout=WAIT_MS)
        assert [line.split()[0] for line in latest(board)[:4]] == ["J001", "D001", "B001", "A001"]
        # They came as replays of the missed events (Last-Event-ID), not as a fresh snapshot.
        replays = board.evaluate("window.boardPaints.filter(p => p.replay).map(p => p.number)")
        assert replays == ["B001", "D001", "J001"]
    finally:
        link.close()


def rgb(hex_colour: str) -> str:
    """A #RRGGBB colour as a computed style reads it."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_each_service_wears_its_kiosk_category_colour_in_the_queue_and_on_its_calls(
    browser: Browser, kiosk: BoardKiosk
) -> None:
    config = load_config(SAMPLE_CONFIG)
    # The kiosk's home paints each category section in its group's colour; the board must use the same
    # (lightened for its stripes, the kiosk's own where white text sits on it).
    home = {s.code: g.colour for g in home_plan.groups(config) for s in g.services}
    for code, colour in home.items():
        assert home_plan.service_colour(config, code) == colour
    kiosk.issue("minimum_living")
    board = open_page(browser, kiosk.url("/board"))
    expect(board.locator("#svc-minimum_living .svc-wait")).to_have_text("1 人")
    shown = {}
    for s in config.services:
        cell = board.locator(f"#svc-{s.code} .svc-name")
        expected = rgb(stripe_colour(home_plan.service_colour(config, s.code)))
        expect(cell).to_have_css("border-left-color", expected)
        shown[s.code] = cell.evaluate("el => getComputedStyle(el).borderLeftColor")
        assert float(cell.evaluate("el => getComputedStyle(el).borderLeftWidth").removesuffix("px")) >= 8
    assert len(set(shown.values())) >= 3  # the sample's categories are told apart, not one colour for all

    colour = home_plan.service_colour(config, "minimum_living")
    stripe = rgb(stripe_colour(colour))
    assert stripe != rgb(stripe_colour(home_plan.service_colour(config, "pension_enrol")))
    kiosk.press(3, "CALL_NEXT")
    expect(board.locator("#win-3-current")).to_have_text("D001", timeout=WAIT_MS)
    expect(board.locator("#win-3-current")).to_have_css("border-left-color", stripe)
    expect(board.locator("#callout-number")).to_have_css("background-color", rgb(colour))
    expect(board.locator("#latest li .l-number").first).to_have_css("border-left-color", stripe)
    # A board that connects later reads the same colours from the snapshot.
    late = open_page(browser, kiosk.url("/board"))
    expect(late.locator("#win-3-current")).to_have_css("border-left-color", stripe, timeout=WAIT_MS)
    expect(late.locator("#latest li .l-number").first).to_have_css("border-left-color", stripe)
    kiosk.press(3, "REQUEST_RATING")  # the service ends: the window's stripe goes with its number
    expect(board.locator("#win-3-current")).to_have_text("—", timeout=WAIT_MS)
    expect(board.locator("#win-3-current")).to_have_css("border-left-color", "rgba(0, 0, 0, 0)")


# Each stripe as the page draws it, and the ground beneath: the nearest box, itself or an ancestor,
# with a background that is not transparent.
STRIPES_JS = """
([selector, side]) => Array.from(document.querySelectorAll(selector)).map(el => {
  let ground = el;
  while (ground && getComputedStyle(ground).backgroundColor.replace(/ /g, "") === "rgba(0,0,0,0)") {
    ground = ground.parentElement;
  }
  return {
    id: el.id || el.textContent.trim(),
    stripe: getComputedStyle(el)[side],
    ground: getComputedStyle(ground || document.body).backgroundColor,
    fresh: !!el.closest(".fresh"),
  };
})
"""


def contrast(first: str, second: str) -> float:
    """WCAG 2.x contrast of two computed colours, "rgb(r, g, b)" (opaque) as the browser reports them."""

    def luminance(css: str) -> float:
        match = re.fullmatch(r"rgb\((\d+), (\d+), (\d+)\)", css)
        assert match, css  # a transparent or half-transparent stripe or ground is not what the board draws
        r, g, b = (int(v) / 255 for v in match.groups())
        r, g, b = ((c / 12.92) if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_every_stripe_stands_out_at_3_to_1_from_the_ground_it_is_drawn_on_during_a_call(
    browser: Browser, tmp_path: Path
) -> None:
    # A long highlight: the called window's card is read on its lighter "fresh" ground.
    k = BoardKiosk(tmp_path, SAMPLE_CONFIG, free_port(), highlight_seconds=30.0)
    k.start()
    try:
        k.issue("minimum_living", "pension_enrol")
        board = open_page(browser, k.url("/board"))
        screen = open_page(browser, k.url("/window/3"), (1280, 800))
        k.press(3, "CALL_NEXT")
        expect(board.locator("#win-3-current")).to_have_text("D001", timeout=WAIT_MS)
        expect(board.locator("#win-3")).to_have_class(re.compile(r"\bfresh\b"))
        expect(screen.locator("#win-3-current")).to_have_text("D001", timeout=WAIT_MS)
        k.press(1, "CALL_NEXT")
        expect(board.locator("#win-1-current")).to_have_text("A001", timeout=WAIT_MS)

        drawn = board.evaluate(STRIPES_JS, [".win-current", "borderLeftColor"])
        drawn = [d for d in drawn if d["id"] in ("win-1-current", "win-3-current")]
        drawn += board.evaluate(STRIPES_JS, ["#latest .l-number", "borderLeftColor"])
        drawn += board.evaluate(STRIPES_JS, ["#queue .svc-name", "borderLeftColor"])
        drawn += screen.evaluate(STRIPES_JS, [".ws-current", "borderBottomColor"])
        assert any(d["fresh"] for d in drawn), drawn  # the called card's ground, not only the panels
        assert len(drawn) == 2 + 2 + len(load_config(SAMPLE_CONFIG).services) + 1, drawn
        for d in drawn:
            assert contrast(d["stripe"], d["ground"]) >= 3.0, d
    finally:
        k.stop()


LONG_NOTICE = (
    "办理最低生活保障、临时救助、高龄津贴等民政业务，请携带户口簿原件、身份证原件及复印件各一份，"
    "以及近期免冠照片两张，材料不全的请先到综合受理窗口咨询"
)


def test_the_notices_take_turns_standing_still_and_a_long_one_is_shown_in_parts(
    browser: Browser, tmp_path: Path
) -> None:
    k = BoardKiosk(tmp_path, SAMPLE_CONFIG, free_port(), ticker=["请携带身份证原件", LONG_NOTICE])
    k.start()
    try:
        board = open_page(browser, k.url("/board"))
        notices = board.locator("#ticker .ticker-line")
        expect(notices.nth(0)).to_have_text("请携带身份证原件")
        expect(notices.nth(0)).to_be_visible()
        expect(notices.nth(1)).to_be_hidden()
        strip = board.locator("#ticker").bounding_box()
        assert strip is not None

        # Its turn comes: the long notice in parts, each within the line, one after another, and
        # nothing of it lost; then the first notice again.
        expect(notices.nth(1)).to_be_visible(timeout=WAIT_MS)
        expect(notices.nth(0)).to_be_hidden()
        shown: list[str] = []
        deadline = time.monotonic() + 60
        while notices.nth(1).is_visible() and time.monotonic() < deadline:
            text = notices.nth(1).inner_text()
            if not shown or shown[-1] != text:
                box = notices.nth(1).bounding_box()
                assert box is not None and box["x"] >= strip["x"] - 1
                assert box["x"] + box["width"] <= strip["x"] + strip["width"] + 1, text
                shown.append(text)
            time.sleep(0.2)
        assert len(shown) >= 2, shown
        assert "".join(shown) == LONG_NOTICE
        expect(notices.nth(0)).to_be_visible(timeout=WAIT_MS)
    finally:
        k.stop()
