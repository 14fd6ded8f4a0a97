"""Screenshots of every kiosk screen at 1920×1080 and 1080×1920, into docs/screenshots/.

Each size runs under its own Xvfb of exactly that size, with the simulated printer and keypad bus and
a fixed clock (a Wednesday at 10:00) so the pictures are stable. A pilot presses the buttons with real
X pointer events, like the UI tests do.

Usage:  python scripts/screenshots.py [--out docs/screenshots] [--size 1920x1080 ...] [--variant hall-3-services ...]
Needs:  Xvfb and a Chinese font (fonts-wqy-microhei or fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("1920x1080", "1080x1920")
sys.path.insert(0, str(ROOT))


def compress(path: Path) -> None:
    """Palette PNGs: a tenth of the size, text still crisp."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


# ---- child: one app run ---------------------------------------------------------------------------
def child(size: str, out: Path, variant: str) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.ui.hardening import configure

    w, h = (int(x) for x in size.split("x"))
    configure(size=(w, h))
    from kiosk.ui.fonts import register_default_font

    register_default_font()
    from kiosk.ui.app import KioskApp
    from tests.ui.automation import fixed_clock, run_with_pilot, sample_config

    data = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    if variant == "broken":
        from kiosk.app import load

        bad = data / "hall.yaml"
        text = (ROOT / "assets" / "hall.sample.yaml").read_text(encoding="utf-8")
        bad.write_text(text.replace("daily_cap: 120", "daily_cap: 1200").replace("prefix: B", "prefx: B"))
        config, problems = load(bad)
        app = KioskApp(None, config=config, config_problems=problems, portrait=h > w, silent=True)

        def shoot_broken(p):  # type: ignore[no-untyped-def]
            p.wait(lambda: p.app.sm.current == "out_of_service", 10)
            p.screenshot(str(out / "out-of-service.png"))

        errors = run_with_pilot(app, shoot_broken)
        print("\n".join(errors), file=sys.stderr)
        return 1 if errors else 0

    from kiosk.services.runtime import build_runtime

    if variant.startswith("hall-"):
        return hall_home(size, out, variant.removeprefix("hall-"))
    clock = fixed_clock()
    runtime = build_runtime(sample_config(baudrate=115200), data, clock=clock).start()
    for code in ("pension_enrol", "pension_enrol", "medical_insurance", "minimum_living", "residence_proof"):
        runtime.issue_ticket(code, None).result(30)
    runtime.issue_ticket("social_card", "elderly").result(30)
    for window in (1, 3):
        runtime.window_op("call_next", window).result(10)
    app = KioskApp(runtime, portrait=h > w, silent=True)

    def shoot(p):  # type: ignore[no-untyped-def]
        def snap(name: str) -> None:
            p.screenshot(str(out / f"{name}.png"))

        p.wait(lambda: not p.app.overlay.showing and p.app.sm.current == "home", 20, "home")
        snap("home")
        p.tap("elder_mode")
        snap("home-elder-mode")
        if p.ui(lambda: p.app.screen("home").two_step):  # 长者模式's larger buttons go by category
            p.tap("category_0")
            snap("home-elder-mode-category")
            p.tap("back_categories")
        time.sleep(0.9)  # the same button again: past its double-tap guard
        p.tap("elder_mode")
        p.tap("green_channel")
        p.wait(lambda: p.find("priority_elderly"), 5)
        snap("green-channel-picker")
        p.tap("priority_elderly")
        snap("home-green-channel")
        p.tap("cancel_mode")
        p.tap("guide")
        p.wait(lambda: p.app.sm.current == "guide", 5)
        p.tap("guide_social_card")
        snap("guide")
        p.tap("guide_take")
        p.wait(
            lambda: p.app.sm.current == "ticket" and p.app.screen("ticket").state == "printed", 20, "printed"
        )
        snap("ticket")
        p.tap("ticket_done")
        runtime.printer_sim.set_state("paper_out")
        time.sleep(2.5)
        p.tap("pension_enrol")
        p.wait(lambda: p.app.sm.current == "ticket" and p.app.screen("ticket").qr_texture, 20, "fault")
        snap("ticket-printer-fault")
        runtime.printer_sim.set_state("ready")
        p.tap("ticket_done")
        p.ui(lambda: setattr(p.app, "_last_touch", -1e9))  # nobody at the screen: full-screen call
        runtime.window_op("call_next", 2)
        p.wait(lambda: p.app.overlay.showing and p.app.overlay.parent, 10, "call overlay")
        snap("call-announcement")
        p.wait(lambda: not p.app.overlay.showing, 30)
        p.tap("guide")
        runtime.window_op("call_next", 4)
        p.wait(
            lambda: p.app.overlay.showing and p.app.overlay.compact and p.app.overlay.parent,
            10,
            "call banner",
        )
        snap("call-banner-while-in-use")
        p.wait(lambda: not p.app.overlay.showing, 30)
        p.tap("back")
        p.tap("staff")
        for k in "1111":
            p.tap(f"pin_{k}")
        snap("staff-pin")
        p.tap("pin_ok")
        p.wait(lambda: p.app.screen("pin").locked, 5)
        snap("staff-pin-wrong")
        p.wait(lambda: not p.app.screen("pin").locked, 10)
        for k in "2468":
            p.tap(f"pin_{k}")
        p.tap("pin_ok")
        p.wait(lambda: p.app.sm.current == "staff" and p.app.screen("staff").figures_text, 10, "staff")
        time.sleep(2.5)
        snap("staff")
        p.tap("op_more_1")
        sheet = p.ui(lambda: p.app.screen("staff").ids.sheet)
        p.wait(lambda: sheet.parent is not None and "正在办理" in sheet.heading, 10, "window sheet")
        p.tap("sheet_incomplete")
        p.tap("material_1")
        p.wait(lambda: sheet.missing, 5, "a material ticked")
        snap("staff-window-sheet")
        p.tap("sheet_close")
        p.wait(lambda: sheet.parent is None, 5, "sheet closed")
        p.tap("staff_exit")
        clock.set(clock.now().replace(hour=12, minute=30))  # 20:30 in Shanghai: closed
        p.wait(lambda: p.app.sm.current == "closed", 10, "closed screen")
        snap("closed")

    try:
        errors = run_with_pilot(app, shoot)
    finally:
        runtime.stop()
    print("\n".join(errors), file=sys.stderr)
    return 1 if errors else 0


HALLS = {"3-services": "tests/ui/halls/three.yaml", "40-services": "tests/ui/halls/forty.yaml"}


def hall_home(size: str, out: Path, hall: str) -> int:
    """Home of the UI tests' other halls (3 services in 1 category, 40 in 9), normal and 长者模式."""
    from kiosk.services.runtime import build_runtime
    from kiosk.ui.app import KioskApp
    from tests.ui.automation import fixed_clock, run_with_pilot, sample_config

    w, h = (int(x) for x in size.split("x"))
    data = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    config = sample_config(str(ROOT / HALLS[hall]), baudrate=115200)
    runtime = build_runtime(config, data, clock=fixed_clock()).start()
    for svc in config.services[:4]:
        runtime.issue_ticket(svc.code, None).result(30)
    app = KioskApp(runtime, portrait=h > w, silent=True)

    def shoot(p):  # type: ignore[no-untyped-def]
        home = p.ui(lambda: p.app.screen("home"))
        p.wait(lambda: p.app.sm.current == "home" and "正在读取" not in p.texts(), 20, "home")
        p.screenshot(str(out / f"home-{hall}.png"))
        if p.ui(lambda: home.two_step):
            p.tap("category_0")
            p.screenshot(str(out / f"home-{hall}-category.png"))
            p.tap("back_categories")
        p.tap("elder_mode")
        p.wait(lambda: home._laid_for and home._laid_for[2] > 1, 5, "长者模式 laid out")
        p.screenshot(str(out / f"home-{hall}-elder-mode.png"))

    try:
        errors = run_with_pilot(app, shoot)
    finally:
        runtime.stop()
    print("\n".join(errors), file=sys.stderr)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", action="append", choices=SIZES)
    variants = ("main", "broken", *(f"hall-{h}" for h in HALLS))
    parser.add_argument(
        "--variant", action="append", choices=variants, help="only these runs (default: all of them)"
    )
    parser.add_argument("--child", nargs=3, metavar=("SIZE", "OUT", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        size, out, variant = args.child
        return child(size, Path(out), variant)
    from tests.ui.automation import VirtualDisplay

    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb is missing: apt-get install xvfb")
    failed = 0
    for size in args.size or SIZES:
        out = args.out / size
        out.mkdir(parents=True, exist_ok=True)
        display = VirtualDisplay(size)
        try:
            with tempfile.TemporaryDirectory() as home:
                env = display.env(home)
                env.setdefault("SDL_AUDIODRIVER", "dummy")
                for variant in args.variant or variants:
                    cmd = [sys.executable, __file__, "--child", size, str(out), variant]
                    failed |= subprocess.run(cmd, env=env, timeout=300).returncode
        finally:
            display.close()
        for png in sorted(out.glob("*.png")):
            if "-tmp" in png.name:
                png.unlink()
                continue
            compress(png)
            print(png.relative_to(ROOT), f"{png.stat().st_size // 1024} KiB")
    return failed


if __name__ == "__main__":
    sys.exit(main())
