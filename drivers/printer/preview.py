"""PNG preview of a decoded job, drawn the way the paper would look (203 dpi, 24-dot font)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import qrcode
from PIL import Image, ImageDraw

from . import raster

if TYPE_CHECKING:
    from .decode import Job

_MARGIN = 16


_EC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def _qr_image(payload: str, module: int, ec: str) -> Image.Image:
    code = qrcode.QRCode(border=0, box_size=module, error_correction=_EC[ec])
    code.add_data(payload)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def render_job(job: Job, dots: int = 576) -> Image.Image:
    """Draw every element of ``job`` on a strip of paper ``dots`` wide (plus a grey margin)."""
    from .decode import CutMark, FeedLines, QrCode, Raster, TextLine

    parts: list[tuple[Image.Image, str]] = []
    for el in job.elements:
        if isinstance(el, TextLine):
            parts.append(_line(el, dots))
        elif isinstance(el, QrCode):
            parts.append((_qr_image(el.payload, el.module, el.ec), "center"))
        elif isinstance(el, Raster):
            parts.append((el.image.convert("L"), "left"))
        elif isinstance(el, FeedLines):
            parts.append((Image.new("L", (1, raster.LINE_DOTS * el.lines), 255), "left"))
        elif isinstance(el, CutMark):
            cut = Image.new("L", (dots, 9), 255)
            ImageDraw.Draw(cut).line([(0, 4), (dots, 4)], fill=0, width=1)
            for x in range(0, dots, 12):
                ImageDraw.Draw(cut).line([(x + 6, 4), (x + 11, 4)], fill=255, width=1)
            parts.append((cut, "left"))
    height = sum(p.height for p, _ in parts) + 2 * _MARGIN
    page = Image.new("L", (dots + 2 * _MARGIN, max(height, 2 * _MARGIN + 1)), 255)
    y = _MARGIN
    for img, align in parts:
        x = {"center": (dots - img.width) // 2, "right": dots - img.width}.get(align, 0)
        page.paste(img.crop((0, 0, min(img.width, dots), img.height)), (_MARGIN + max(x, 0), y))
        y += img.height
    if not job.printed:
        ImageDraw.Draw(page).text((_MARGIN, 2), f"未打印：{job.state}", fill=0, font=raster._font(12))
    return page.convert("1", dither=Image.Dither.NONE)


def _line(line: object, dots: int) -> tuple[Image.Image, str]:
    from .decode import TextLine

    assert isinstance(line, TextLine)
    if not line.segments:
        return Image.new("L", (1, raster.LINE_DOTS), 255), "left"
    pieces = [
        raster.render_line(s.text, scale=max(s.width, s.height), bold=s.bold, dots=dots).convert("L")
        for s in line.segments
    ]
    height = max(p.height for p in pieces)
    width = min(sum(p.width for p in pieces), dots)
    img = Image.new("L", (max(width, 1), height), 255)
    x = 0
    for p in pieces:
        img.paste(p, (x, height - p.height))
        x += p.width
    return img, line.align
