"""An incremental ESC/POS decoder, as a cheap Chinese thermal printer would read the stream.

Used by the simulated printer: it splits the stream into jobs (one per cut), keeps text lines with
their size, alignment and weight, QR payloads, raster images and cuts, and reports real-time
``DLE EOT n`` queries the moment they arrive. Bytes >= 0x80 are GB18030 only in Chinese mode
(``FS &``); outside it they come out as U+FFFD, like the garbage a resident would see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from pathlib import Path

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
# Fixed-length commands not otherwise interpreted: prefix byte, command byte -> total length.
_FIXED = {
    ESC: {0x20: 3, 0x24: 4, 0x25: 3, 0x2D: 3, 0x32: 2, 0x33: 3, 0x3D: 3, 0x3F: 3, 0x47: 3, 0x4A: 3,
          0x4D: 3, 0x52: 3, 0x53: 2, 0x54: 3, 0x56: 3, 0x5C: 4, 0x63: 4, 0x70: 5, 0x74: 3, 0x7B: 3},
    GS: {0x42: 3, 0x48: 3, 0x4C: 4, 0x57: 4, 0x66: 3, 0x68: 3, 0x77: 3, 0x61: 3, 0x62: 3, 0x72: 3},
    FS: {0x21: 3, 0x2D: 3, 0x53: 4, 0x57: 3, 0x70: 4},
}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    text: str
    width: int = 1
    height: int = 1
    bold: bool = False


@dataclass
class TextLine:
    segments: list[Segment]
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def scale(self) -> int:
        return max((max(s.width, s.height) for s in self.segments), default=1)


@dataclass(frozen=True)
class QrCode:
    payload: str
    module: int
    ec: str = "L"


@dataclass
class Raster:
    image: Image.Image


@dataclass(frozen=True)
class FeedLines:
    lines: int


@dataclass(frozen=True)
class CutMark:
    partial: bool


Element = TextLine | QrCode | Raster | FeedLines | CutMark


@dataclass
class Job:
    """One printed piece of paper (everything up to and including a cut)."""

    elements: list[Element] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    unknown: list[bytes] = field(default_factory=list)
    complete: bool = False
    """The job ended with a cut; False when the link dropped or the stream ended first."""
    printed: bool = True
    """Set by the simulated printer: False when it was in a state that cannot print."""
    state: str = "ready"
    dots: int = 576
    """Paper width in dots of the printer that took the job (for the preview)."""
    finished_at: float = 0.0
    """``time.perf_counter()`` when the simulated printer had the job's last byte."""

    @property
    def lines(self) -> list[TextLine]:
        return [e for e in self.elements if isinstance(e, TextLine)]

    def text(self) -> str:
        """The decoded text, one printed line per line (raster lines are not read back)."""
        return "\n".join(line.text for line in self.lines)

    @property
    def qr_payloads(self) -> list[str]:
        return [e.payload for e in self.elements if isinstance(e, QrCode)]

    @property
    def cuts(self) -> int:
        return sum(isinstance(e, CutMark) for e in self.elements)

    @property
    def images(self) -> list[Image.Image]:
        return [e.image for e in self.elements if isinstance(e, Raster)]

    def png(self, path: str | Path, dots: int | None = None) -> None:
        """Save a PNG preview of the paper."""
        from .preview import render_job

        render_job(self, dots or self.dots).save(path)


class StreamDecoder:
    """Feed bytes as they arrive; finished jobs collect in :attr:`jobs`."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.jobs: list[Job] = []
        self.job = Job()
        self._reset()

    def _reset(self) -> None:
        self.chinese = False
        self.align = "left"
        self.size = (1, 1)
        self.esc_bang = 0
        self.bold = False
        self.segments: list[Segment] = []
        self.pending = bytearray()
        self.qr_data = b""
        self.qr_module = 3
        self.qr_ec = "L"

    def feed(self, data: bytes) -> list[int]:
        """Consume ``data``; return the ``n`` of every ``DLE EOT n`` seen, in order."""
        self.buf += data
        queries: list[int] = []
        while self.buf:
            n = self._command_length()
            if n is None:
                break
            cmd = bytes(self.buf[:n])
            del self.buf[:n]
            if cmd[:2] == b"\x10\x04":
                queries.append(cmd[2])
                continue
            self.job.raw += cmd
            self._apply(cmd)
        return queries

    def finish(self) -> Job | None:
        """The stream ended: keep whatever was received as an incomplete job."""
        self._flush_text()
        if self.segments:
            self.job.elements.append(TextLine(self.segments, self.align))
            self.segments = []
        if self.buf:
            self.job.raw += self.buf
            self.job.unknown.append(bytes(self.buf))
            self.buf.clear()
        if not self.job.raw:
            return None
        job, self.job = self.job, Job()
        self.jobs.append(job)
        return job

    # -- parsing ---------------------------------------------------------------------------------

    def _command_length(self) -> int | None:
        b = self.buf
        first = b[0]
        if first not in (ESC, GS, FS, DLE):
            return 1
        if len(b) < 2:
            return None
        second = b[1]
        if first == GS and second in (0x28, 0x76, 0x56):  # GS ( k / GS ( L, GS v 0, GS V
            if len(b) < {0x28: 5, 0x76: 8, 0x56: 3}[second]:
                return None
            if second == 0x28:
                n = 5 + b[3] + 256 * b[4]
            elif second == 0x76:
                n = 8 + (b[4] + 256 * b[5]) * (b[6] + 256 * b[7])
            else:
                n = 4 if b[2] in (65, 66) else 3
            return n if len(b) >= n else None
        if first == DLE:
            return 3 if second in (0x04, 0x05) and len(b) >= 3 else (None if len(b) < 3 else 1)
        if first == ESC and second in (0x40,):
            return 2
        if first == ESC and second in (0x21, 0x45, 0x61, 0x64):
            return 3 if len(b) >= 3 else None
        if first == GS and second == 0x21:
            return 3 if len(b) >= 3 else None
        if first == FS and second in (0x26, 0x2E):
            return 2
        length = _FIXED.get(first, {}).get(second, 2)
        return length if len(b) >= length else None

    def _apply(self, cmd: bytes) -> None:
        first = cmd[0]
        if first not in (ESC, GS, FS, DLE) or len(cmd) == 1:
            if first == 0x0A:
                self._newline()
            elif first >= 0x20 or first == 0x09:
                self.pending.append(first if first != 0x09 else 0x20)
            return
        self._flush_text()
        op = (first, cmd[1])
        if op == (ESC, 0x40):
            self._newline(force=False)
            self._reset()
        elif op == (FS, 0x26):
            self.chinese = True
        elif op == (FS, 0x2E):
            self.chinese = False
        elif op == (ESC, 0x21):
            self.esc_bang = cmd[2]
        elif op == (ESC, 0x45):
            self.bold = bool(cmd[2] & 1)
        elif op == (ESC, 0x61):
            self.align = {0: "left", 1: "center", 2: "right"}.get(cmd[2] % 48, "left")
        elif op == (GS, 0x21):
            self.size = ((cmd[2] >> 4) + 1, (cmd[2] & 0x0F) + 1)
        elif op == (ESC, 0x64):
            self._newline(force=False)
            if cmd[2]:
                self.job.elements.append(FeedLines(cmd[2]))
        elif op == (GS, 0x56):
            self._newline(force=False)
            self.job.elements.append(CutMark(partial=cmd[2] in (1, 49, 66)))
            self.job.complete = True
            self.jobs.append(self.job)
            self.job = Job()
        elif op == (GS, 0x28) and cmd[2] == 0x6B:
            self._qr(cmd)
        elif op == (GS, 0x76):
            self._raster(cmd)
        elif (op[0] in _FIXED and op[1] in _FIXED[op[0]]) or op == (GS, 0x28):
            pass
        else:
            self.job.unknown.append(cmd)

    def _qr(self, cmd: bytes) -> None:
        cn, fn = cmd[5], cmd[6]
        if cn != 0x31:
            return
        if fn == 0x43:
            self.qr_module = cmd[7]
        elif fn == 0x45:
            self.qr_ec = "LMQH"[(cmd[7] - 48) % 4]
        elif fn == 0x50:
            self.qr_data = cmd[8:]
        elif fn == 0x51:
            self._newline(force=False)
            self.job.elements.append(
                QrCode(self.qr_data.decode("utf-8", "replace"), self.qr_module, self.qr_ec)
            )

    def _raster(self, cmd: bytes) -> None:
        self._newline(force=False)
        width_bytes, height = cmd[4] + 256 * cmd[5], cmd[6] + 256 * cmd[7]
        # ESC/POS: bit set = black dot; Pillow "1": bit set = white, hence the inverted raw mode.
        img = Image.frombytes("1", (width_bytes * 8, height), bytes(cmd[8:]), "raw", "1;I")
        last = self.job.elements[-1] if self.job.elements else None
        if isinstance(last, Raster):  # consecutive slices form one picture
            top = last.image
            joined = Image.new("1", (max(top.width, img.width), top.height + height), 1)
            joined.paste(top, (0, 0))
            joined.paste(img, (0, top.height))
            last.image = joined
        else:
            self.job.elements.append(Raster(img))

    # -- text ------------------------------------------------------------------------------------

    def _flush_text(self) -> None:
        if not self.pending:
            return
        raw = bytes(self.pending)
        self.pending.clear()
        text = raw.decode("gb18030", "replace") if self.chinese else raw.decode("ascii", "replace")
        width, height = self.size
        if self.esc_bang & 0x20:
            width = max(width, 2)
        if self.esc_bang & 0x10:
            height = max(height, 2)
        self.segments.append(Segment(text, width, height, self.bold or bool(self.esc_bang & 0x08)))

    def _newline(self, force: bool = True) -> None:
        self._flush_text()
        if self.segments or force:
            self.job.elements.append(TextLine(self.segments, self.align))
            self.segments = []


def decode(data: bytes) -> list[Job]:
    """Decode a whole stream at once (for tests and tools)."""
    d = StreamDecoder()
    d.feed(data)
    d.finish()
    return d.jobs
