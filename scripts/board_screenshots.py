"""Screenshots of the call board from a real browser: /board at 1920×1080 and 1080×1920 during a call,
and /window/N on a small monitor, into docs/screenshots/board/.

    .venv/bin/python scripts/board_screenshots.py [--out docs/screenshots/board]

Runs the real kiosk runtime (SQLite in a temporary folder, simulated printer and keypad bus) on a fixed
Wednesday morning with its board on loopback, makes a few tickets and calls, and photographs the pages
in Debian's chromium (Playwright with executable_path; nothing is downloaded).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "board")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from kiosk.config.schema import BoardSettings
    from kiosk.services.runtime import build_runtime
    from tests.ui.automation import fixed_clock, sample_config

    config = sample_config()
    ticker = ["办理社保业务请携带身份证原件", "过号请向窗口工作人员说明", "请保管好随身物品"]
    board = BoardSettings(host="127.0.0.1", port=0, highlight_seconds=30, ticker=ticker, voice="kiosk")
    config = config.model_copy(update={"board": board})
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(config, Path(tmp), clock=fixed_clock()).start()
        try:
            assert runtime.board is not None
            codes = ["pension_enrol", "medical_insurance", "minimum_living", "residence_proof", "social_card"]
            for i in range(23):
                runtime.issue_ticket(codes[i % len(codes)]).result(30)
            for window in (1, 2, 3):
                runtime.window_op("call_next", window).result(10)
            runtime.window_op("finish", 1).result(10)
            runtime.window_op("call_next", 1).result(10)
            runtime.window_op("no_show", 3).result(10)
            runtime.window_op("call_next", 3).result(10)
            runtime.window_op("pause", 4).result(10)
            time.sleep(2.5)  # the board re-reads the waiting counts
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                shots = []
                for name, size in (
                    ("board-1920x1080.png", (1920, 1080)),
                    ("board-1080x1920.png", (1080, 1920)),
                ):
                    page = browser.new_context(
                        viewport={"width": size[0], "height": size[1]}, bypass_csp=True
                    ).new_page()
                    page.goto(runtime.board.url())
                    page.wait_for_function("window.boardOnline === true")
                    runtime.window_op("recall", 2).result(10)  # a call to photograph, highlighted
                    page.wait_for_function("!document.getElementById('callout').hidden")
                    page.wait_for_timeout(400)
                    page.screenshot(path=str(args.out / name))
                    shots.append(name)
                page = browser.new_context(
                    viewport={"width": 1280, "height": 800}, bypass_csp=True
                ).new_page()
                page.goto(runtime.board.url("/window/1"))
                page.wait_for_function("window.boardOnline === true")
                page.wait_for_timeout(400)
                page.screenshot(path=str(args.out / "window-1.png"))
                shots.append("window-1.png")
                page = browser.new_context(
                    viewport={"width": 1280, "height": 800}, bypass_csp=True
                ).new_page()
                page.goto(runtime.board.url("/window/4"))
                page.wait_for_function("window.boardOnline === true")
                page.wait_for_timeout(400)
                page.screenshot(path=str(args.out / "window-4-paused.png"))
                shots.append("window-4-paused.png")
                browser.close()
        finally:
            runtime.stop()
    for name in shots:
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
