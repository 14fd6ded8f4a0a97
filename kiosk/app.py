"""`kiosk`: start the touch kiosk.

    kiosk --demo --windowed            # simulated printer, keypads, staff and residents
    kiosk --config /etc/kiosk/hall.yaml --data-dir /var/lib/kiosk

Kivy is imported only after the arguments are read and the configuration is loaded, so that
`kiosk --help` works without a display and a broken configuration still opens the kiosk on its
out-of-service screen (listing the problems for the installer) instead of crashing into a restart loop.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk")
ROOT = Path(__file__).resolve().parents[1]
SIZES = {"1920x1080": (1920, 1080), "1080x1920": (1080, 1920)}


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size is WIDTHxHEIGHT, e.g. 1920x1080, not {text!r}") from None
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="社区便民服务中心 touch kiosk")
    p.add_argument("--config", type=Path, default=ROOT / "assets" / "hall.sample.yaml")
    p.add_argument("--data-dir", type=Path, default=Path("var"))
    p.add_argument("--demo", action="store_true", help="simulated staff and residents, clock in hours")
    p.add_argument("--windowed", action="store_true", help="a normal window (development)")
    p.add_argument("--size", type=parse_size, default=None, help="1920x1080 or 1080x1920 (default: screen)")
    p.add_argument("--silent", action="store_true", help="no voice")
    p.add_argument("--volume", type=float, default=1.0)
    p.add_argument("--font", default=None, help="a font file with Chinese glyphs")
    return p


def load(config_path: Path) -> tuple[Any | None, list[str]]:
    from kiosk.config.loader import ConfigError, load_config

    try:
        return load_config(config_path), []
    except ConfigError as exc:
        return None, [str(p) for p in exc.problems]
    except OSError as exc:
        return None, [f"{config_path}: {exc.strerror or exc}"]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    config, problems = load(args.config)
    for p in problems:
        log.error("config: %s", p)

    runtime = None
    if config is not None:
        from kiosk.services.demo import build_demo_runtime
        from kiosk.services.runtime import build_runtime

        build = build_demo_runtime if args.demo else build_runtime
        try:
            runtime = build(config, args.data_dir).start()
            if runtime.board is not None:
                # The installer (or the demo's visitor) needs the address to open on the TV.
                print(
                    f"综合屏 (call board): {runtime.board.url()}   窗口屏: {runtime.board.url('/window/1')}"
                )
        except Exception as exc:  # a device or the disk failing at start: show it, don't crash-loop
            log.exception("runtime failed to start")
            problems = [f"启动失败：{exc}"]

    from kiosk.ui.hardening import configure

    size = configure(windowed=args.windowed, size=args.size)
    from kiosk.ui.fonts import register_default_font

    register_default_font(args.font)
    from kiosk.ui.app import KioskApp

    app = KioskApp(
        runtime,
        config=config,
        config_problems=problems,
        windowed=args.windowed,
        portrait=size[1] > size[0],
        silent=args.silent,
        volume=args.volume,
    )
    try:
        app.run()
    finally:
        if runtime is not None:
            runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
