"""A printout as a list of simple blocks, and the emitter that turns them into ESC/POS on any
python-escpos ``Escpos`` instance (``Dummy`` to get bytes, or a live printer).

Text goes out as GB18030 in Chinese mode (``FS &``); a line the printer's font cannot show, or any
non-ASCII line when the printer has no Chinese font, goes out as a raster image. Style commands are
sent only when they change, which keeps a standard ticket under 600 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from . import encoding, raster
from .encoding import Charset

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """One paragraph; wrapped to the paper width for its size."""

    text: str
    align: Align = "left"
    scale: int = 1
    bold: bool = False


@dataclass(frozen=True)
class Qr:
    """A QR code drawn by the printer itself (``GS ( k``), carrying ``payload``."""

    payload: str
    size: int = 6
    """Module size in dots."""


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Rule:
    """A dashed line across the paper."""

    char: str = "-"


Block = Text | Qr | Feed | Rule


@dataclass(frozen=True)
class Target:
    """What the emitter needs to know about the printer."""

    columns: int = 48
    dots: int = 576
    chinese: bool = True
    charset: Charset = "gbk"


class _Emitter:
    def __init__(self, p: Escpos, target: Target) -> None:
        self.p = p
        self.t = target
        self.align: Align = "left"
        self.scale = 1
        self.bold = False

    def style(self, align: Align, scale: int, bold: bool) -> None:
        if align != self.align:
            self.p.set(align=align)
            self.align = align
        if scale != self.scale:
            self.p.set(custom_size=True, width=scale, height=scale)
            self.scale = scale
        if bold != self.bold:
            self.p.set(bold=bold)
            self.bold = bold

    def text(self, block: Text) -> None:
        for line in encoding.wrap(block.text, self.t.columns // block.scale):
            if self.as_text(line):
                self.style(block.align, block.scale, block.bold)
                self.p._raw(encoding.to_wire(line) + b"\n")
            else:
                try:
                    img = raster.render_line(
                        line, scale=block.scale, bold=block.bold, align=block.align, dots=self.t.dots
                    )
                except raster.CjkFontNotFound:
                    if not self.t.chinese:
                        raise
                    # Better a □ in place of one rare character than no ticket at all.
                    self.style(block.align, block.scale, block.bold)
                    self.p._raw(encoding.to_wire(self.substitute(line)) + b"\n")
                    continue
                self.p._raw(raster.raster_commands(img))

    def as_text(self, line: str) -> bool:
        if not self.t.chinese:
            return line.isascii()
        return encoding.printable(line, self.t.charset)

    def substitute(self, line: str) -> str:
        return "".join(ch if encoding.printable(ch, self.t.charset) else "□" for ch in line)

    def qr(self, block: Qr) -> None:
        self.style("center", 1, False)
        # Level M: a ticket spends an hour in a pocket or a fist; the cost is a few modules.
        self.p.qr(block.payload, ec=QR_ECLEVEL_M, size=block.size, native=True)
        self.p._raw(b"\n")


def emit(p: Escpos, blocks: Sequence[Block], target: Target) -> None:
    """Send one whole printout: reset, Chinese mode, the blocks, feed and cut."""
    p.hw("INIT")
    if target.chinese:
        p._raw(encoding.FS_AND)
    e = _Emitter(p, target)
    for block in blocks:
        if isinstance(block, Text):
            e.text(block)
        elif isinstance(block, Qr):
            e.qr(block)
        elif isinstance(block, Rule):
            e.text(Text(block.char * (target.columns // encoding.columns(block.char))))
        else:
            p.print_and_feed(block.lines)
    p.cut()
