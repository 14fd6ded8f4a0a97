"""Raster fallback: text the printer cannot show is drawn with Pillow and a CJK font, then sent as
``GS v 0`` raster bit images in slices a cheap printer's small receive buffer can take.

Used for characters outside the printer's font (生僻字) and for printers configured without a Chinese
font. Costly on the wire (72 bytes per dot row on 80 mm paper), so only the lines that need it go raster.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from escpos.image import EscposImage
from PIL import Image, ImageDraw, ImageFont

from .encoding import char_columns, columns

#: Dot rows per ``GS v 0`` command.
SLICE_ROWS = 24
#: Height of one normal text line in dots (the Chinese font is 24x24).
LINE_DOTS = 24

FONT_ENV = "HALL_CJK_FONT"
_PATTERNS = ("sans-serif:lang=zh-cn", "sans:lang=zh-cn", "sans-serif:lang=zh", ":lang=zh")


class CjkFontNotFound(RuntimeError):
    """No font with Chinese glyphs is installed, so the raster fallback cannot draw Chinese."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0


def _fc(*args: str) -> str:
    if shutil.which(args[0]) is None:
        return ""
    out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    return out.stdout if out.returncode == 0 else ""


@functools.cache
def find_cjk_font() -> FontFile:
    """The CJK font to draw with: ``$HALL_CJK_FONT`` (``path`` or ``path:index``) if set, else the best
    fontconfig match that really covers Chinese (``fc-match`` happily answers DejaVu for ``lang=zh``)."""
    env = os.environ.get(FONT_ENV, "").strip()
    if env:
        path, _, index = env.rpartition(":") if env.rpartition(":")[2].isdigit() else (env, "", "0")
        if not os.path.isfile(path):
            raise CjkFontNotFound(f"{FONT_ENV}={env!r}: no such font file")
        return FontFile(path, int(index or 0))
    zh_files = set(_fc("fc-list", ":lang=zh-cn", "-f", "%{file}\n").split())
    for pattern in _PATTERNS:
        found = _fc("fc-match", "-f", "%{file}\t%{index}", pattern)
        path, _, index = found.partition("\t")
        if path in zh_files:
            return FontFile(path, int(index or 0))
    if zh_files:
        return FontFile(sorted(zh_files)[0], 0)
    raise CjkFontNotFound(
        "No Chinese font found for the printer's raster fallback. Install one "
        "(apt-get install fonts-wqy-microhei or fonts-noto-cjk) or set "
        f"{FONT_ENV}=/path/to/font.ttc[:index]."
    )


@functools.cache
def _font(px: int) -> ImageFont.FreeTypeFont:
    f = find_cjk_font()
    return ImageFont.truetype(f.path, px, index=f.index)


def render_line(
    text: str, *, scale: int = 1, bold: bool = False, align: str = "left", dots: int = 576
) -> Image.Image:
    """One line of text as a pure black-and-white image, ``LINE_DOTS * scale`` dots high.

    Characters sit in the printer's own grid (12 dots per ASCII column, 24 per Chinese character,
    times ``scale``), so raster lines line up with text lines and right-aligned figures stay aligned.
    Centred and right-aligned lines carry their left margin as white dots (cheap printers ignore
    ``ESC a`` for raster images); nothing is sent to the right of the last cell.
    """
    height = LINE_DOTS * scale
    font = _font(22 * scale)
    extra = max(1, scale // 2) if bold else 0  # bold = the same glyphs drawn again, shifted right
    cell = 12 * scale
    width = max(min(columns(text) * cell, dots), 1)
    offset = {"center": (dots - width) // 2, "right": dots - width}.get(align, 0)
    img = Image.new("L", (offset + width, height), 255)
    draw = ImageDraw.Draw(img)
    x = offset
    for ch in text:
        w = char_columns(ch) * cell
        if x + w > offset + width:
            break
        for dx in range(extra + 1):
            draw.text((x + w // 2 + dx, height // 2), ch, font=font, fill=0, anchor="mm")
        x += w
    # Threshold instead of dithering: crisp glyph edges, and dithering a 0/255 image is the identity.
    return img.point(lambda v: 0 if v < 128 else 255, mode="1")


def raster_commands(img: Image.Image, slice_rows: int = SLICE_ROWS) -> bytes:
    """``GS v 0`` commands for ``img``, ``slice_rows`` dot rows each, exactly as python-escpos
    ``image(img, impl="bitImageRaster", fragment_height=slice_rows)`` would send them."""
    out = bytearray()
    for top in range(0, img.height, slice_rows):
        part = EscposImage(img.crop((0, top, img.width, min(top + slice_rows, img.height))))
        out += b"\x1dv0\x00" + part.width_bytes.to_bytes(2, "little") + part.height.to_bytes(2, "little")
        out += part.to_raster_format()
    return bytes(out)
