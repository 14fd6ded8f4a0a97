"""The Chinese font: registered as Kivy's default so every Label renders 汉字, never empty boxes.

Order: the font named by the installer (``KIOSK_FONT`` or ``--font``), a font fontconfig picks for
Chinese, then well-known Debian paths. A candidate counts only if it really has CJK glyphs: fontconfig
happily answers DejaVu for ``sans:lang=zh`` when its cache is stale.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PRIMARY: str | None = None
"""The font registered as Kivy's default (set by `register_default_font`)."""
_NOT_A_CHARACTER = "\U0010fffd"  # private use, in no font: what a font draws for a missing glyph

# Single-face files first: SDL2_ttf opens face 0 of a .ttc, and face 0 of Noto Sans CJK is the JP cut.
KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_PROBE = "号窗口请"


def _fc(args: list[str]) -> str:
    if shutil.which(args[0]) is None:
        return ""
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout


def has_cjk_glyphs(path: str | Path) -> bool:
    """True if the font draws the probe characters (checked with Pillow, which has no Kivy)."""
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(str(path), 32)
        for ch in _PROBE:
            # A missing glyph is drawn as .notdef, the same box for every character; compare masks.
            if font.getmask(ch).getbbox() is None:
                return False
        return bytes(font.getmask(_PROBE[0])) != bytes(font.getmask(_PROBE[1]))
    except Exception:  # noqa: BLE001 - a font file that cannot be read is simply not used
        return False


def candidates(configured: str | None = None) -> Iterator[str]:
    """Candidate font files, best first, each once; the slow `fc-list` only if nothing before fits."""
    seen: set[str] = set()

    def fresh(paths: Iterable[str]) -> Iterator[str]:
        for path in paths:
            if path and path not in seen:
                seen.add(path)
                yield path

    yield from fresh([configured or "", os.environ.get("KIOSK_FONT", "")])
    for pattern in ("sans:lang=zh-cn", "sans:lang=zh"):
        yield from fresh([_fc(["fc-match", "-f", "%{file}", pattern]).strip()])
    yield from fresh(KNOWN_PATHS)
    yield from fresh(line.strip().rstrip(":") for line in _fc(["fc-list", ":lang=zh", "file"]).splitlines())


def _face0_is_japanese_or_korean(path: str) -> bool:
    """Noto Sans CJK .ttc opens as its JP face in SDL2_ttf: 汉字 drawn in Japanese shapes."""
    try:
        from PIL import ImageFont

        family = ImageFont.truetype(path, 12).getname()[0]
    except Exception:  # noqa: BLE001 - a font file that cannot be read is simply not used
        return False
    return (family or "").endswith((" JP", " KR"))


def find_chinese_font(configured: str | None = None) -> str | None:
    """The first candidate that draws Chinese; a Japanese/Korean-first collection only as a last resort."""
    fallback = None
    for path in candidates(configured):
        if not (Path(path).is_file() and has_cjk_glyphs(path)):
            if path == configured:
                log.warning(
                    "configured font %s is missing or has no Chinese glyphs; looking for another", path
                )
            continue
        if path != configured and _face0_is_japanese_or_korean(path):
            fallback = fallback or path
            continue
        return path
    return fallback


@functools.lru_cache(maxsize=8)
def _probe_font(path: str) -> tuple[object, bytes]:
    from PIL import ImageFont

    font = ImageFont.truetype(path, 32)
    return font, bytes(font.getmask(_NOT_A_CHARACTER))


@functools.lru_cache(maxsize=4096)
def covers(path: str, ch: str) -> bool:
    """True if the font at ``path`` has a glyph for ``ch`` (not its .notdef box)."""
    try:
        font, notdef = _probe_font(path)
        mask = font.getmask(ch)  # type: ignore[attr-defined]
        return mask.getbbox() is not None and bytes(mask) != notdef
    except Exception:  # noqa: BLE001 - a font file that cannot be read is simply not used
        return False


@functools.lru_cache(maxsize=1024)
def fallback_font_for(ch: str) -> str | None:
    """A font file that draws ``ch`` (fontconfig's best match for the code point, checked), or None."""
    for line in _fc(["fc-list", f":charset={ord(ch):x}", "file"]).splitlines():
        path = line.strip().rstrip(":")
        if path and Path(path).is_file() and covers(path, ch):
            return path
    return None


def with_fallback(text: str, primary: str | None = None) -> str:
    """``text`` for a markup label, with each run of characters the primary font lacks (生僻字 such as
    𠮷 outside the main CJK block) wrapped in ``[font=…]`` for a font that has them. SDL2's text
    renderer has no font fallback of its own, so without this they are drawn as boxes."""
    primary = primary or PRIMARY
    if primary is None:
        return text
    out: list[str] = []
    current: str | None = None  # the fallback font of the open run
    for ch in text:
        font = None
        if ord(ch) > 0x2FFF and not covers(primary, ch):
            font = fallback_font_for(ch)
        if font != current:
            if current is not None:
                out.append("[/font]")
            if font is not None:
                out.append(f"[font={font}]")
            current = font
        out.append(ch)
    if current is not None:
        out.append("[/font]")
    return "".join(out)


def register_default_font(configured: str | None = None) -> str | None:
    """Make the Chinese font Kivy's default (Roboto has no 汉字). Returns the path used."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_chinese_font(configured)
    if path is None:
        log.error("no Chinese font found: install fonts-wqy-microhei or fonts-noto-cjk")
        return None
    LabelBase.register(DEFAULT_FONT, path)
    global PRIMARY
    PRIMARY = path
    log.info("Chinese font: %s", path)
    return path
