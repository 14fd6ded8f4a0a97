"""Printer states, real-time ``DLE EOT`` reply decoding and structured fault records.

A reply to ``DLE EOT n`` is one byte whose bits 1 and 4 are always 1 and bits 0 and 7 always 0, so
"nothing to report" is ``0x12``. We decode the four queries ourselves instead of using python-escpos 3.1's
``paper_status()`` (which says "plenty of paper" when the printer answers nothing) or ``is_online()``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

DLE_EOT = b"\x10\x04"
#: The four real-time queries, in the order we send them.
QUERY_PRINTER, QUERY_OFFLINE_CAUSE, QUERY_ERROR_CAUSE, QUERY_PAPER = 1, 2, 3, 4
QUERIES = (QUERY_PRINTER, QUERY_OFFLINE_CAUSE, QUERY_ERROR_CAUSE, QUERY_PAPER)

_FIXED_MASK, _FIXED_BITS = 0x93, 0x12

# n=1 printer status
_OFFLINE = 0x08
# n=2 offline cause
_COVER_OPEN = 0x04
_PAPER_END_STOP = 0x20
_ERROR = 0x40
# n=3 error cause
_AUTOCUTTER = 0x08
_UNRECOVERABLE = 0x20
_AUTO_RECOVERABLE = 0x40
# n=4 paper roll sensor
_NEAR_END = 0x0C
_PAPER_ABSENT = 0x60


def query(n: int) -> bytes:
    """The 3-byte real-time status request ``DLE EOT n``."""
    return DLE_EOT + bytes([n])


def is_valid_reply(byte: int) -> bool:
    """Fixed bits as the ESC/POS reference states them; anything else is line noise or a stale byte."""
    return byte & _FIXED_MASK == _FIXED_BITS


class PrinterState(enum.StrEnum):
    """What the kiosk knows about its printer. The UI binds to this, never to exceptions."""

    READY = "ready"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    CUTTER_ERROR = "cutter_error"
    OFFLINE = "offline"
    UNKNOWN = "no_reply"

    @property
    def can_print(self) -> bool:
        """A ticket sent now will come out."""
        return self in CAN_PRINT

    @property
    def known_bad(self) -> bool:
        """A ticket sent now will certainly not come out."""
        return self in KNOWN_BAD


CAN_PRINT = frozenset({PrinterState.READY, PrinterState.PAPER_NEAR_END})
KNOWN_BAD = frozenset(
    {PrinterState.PAPER_OUT, PrinterState.COVER_OPEN, PrinterState.CUTTER_ERROR, PrinterState.OFFLINE}
)


@dataclass(frozen=True)
class PrinterFault:
    """A hardware problem as a record: a stable code for logs and the ticket table, the reason in
    plain Chinese for residents, and what staff should do."""

    code: str
    state: PrinterState
    reason: str
    staff_action: str
    detail: str = ""


_FAULTS: dict[str, tuple[PrinterState, str, str]] = {
    "paper_near_end": (
        PrinterState.PAPER_NEAR_END,
        "打印纸快用完了。",
        "取号机打印纸即将用完，请尽快换上新纸卷。",
    ),
    "paper_out": (
        PrinterState.PAPER_OUT,
        "取号机没有纸了，暂时打不出号票。",
        "取号机缺纸：打开打印机盖，换上新纸卷，纸头朝外拉出一截再合上盖子。",
    ),
    "cover_open": (
        PrinterState.COVER_OPEN,
        "取号机的打印机盖没有关好，暂时打不出号票。",
        "打印机盖未合上：把盖子按到听见“咔”一声。",
    ),
    "cutter_error": (
        PrinterState.CUTTER_ERROR,
        "取号机的切纸刀卡住了，暂时打不出号票。",
        "切纸刀故障：关掉打印机电源，打开盖子取出卡住的纸，再开机；仍不行请报修。",
    ),
    "offline": (
        PrinterState.OFFLINE,
        "取号机的打印机暂时不能工作。",
        "打印机离线：检查电源和指示灯，关机再开机；仍不行请报修。",
    ),
    "no_reply": (
        PrinterState.UNKNOWN,
        "取号机的打印机没有回应，号票可能打不出来。",
        "打印机无应答：检查打印机电源、数据线或网线，必要时重启打印机。",
    ),
    "link_lost": (
        PrinterState.UNKNOWN,
        "打印中途与打印机断开，号票可能没有打完整。",
        "打印中途断线：检查数据线或网线和打印机电源；请为该居民补打号票。",
    ),
    "render_failed": (
        PrinterState.UNKNOWN,
        "号票内容生成失败，暂时打不出号票。",
        "号票生成失败：多为缺少中文字体（安装 fonts-wqy-microhei 或 fonts-noto-cjk）；详情见日志。",
    ),
    "cannot_connect": (
        PrinterState.UNKNOWN,
        "取号机连不上打印机，暂时打不出号票。",
        "连不上打印机：检查打印机电源、数据线或网线，以及配置里的连接方式和地址。",
    ),
}


def fault(code: str, detail: str = "") -> PrinterFault:
    """The fault record for a stable ``code`` (see ``docs/printer.md``)."""
    state, reason, action = _FAULTS[code]
    return PrinterFault(code=code, state=state, reason=reason, staff_action=action, detail=detail)


FAULT_CODES = frozenset(_FAULTS)


@dataclass(frozen=True)
class PrinterStatus:
    """One status read: the state, the raw reply bytes by query number, and the fault if not ready."""

    state: PrinterState
    replies: dict[int, int] = field(default_factory=dict)
    fault: PrinterFault | None = None

    @property
    def can_print(self) -> bool:
        return self.state.can_print


def decode_replies(replies: dict[int, int | None]) -> PrinterStatus:
    """Turn the reply bytes of ``DLE EOT 1..4`` (None = no reply) into a :class:`PrinterStatus`.

    No reply to the first query means the state is unknown. Replies that break the fixed bits are
    treated like no reply: a stale or garbled byte must not pass for "ready".
    """
    got = {n: b for n, b in replies.items() if b is not None and is_valid_reply(b)}
    bad = {n: b for n, b in replies.items() if b is not None and not is_valid_reply(b)}
    if QUERY_PRINTER not in got:
        detail = f"invalid reply {bad[QUERY_PRINTER]:#04x}" if QUERY_PRINTER in bad else "no reply"
        return PrinterStatus(PrinterState.UNKNOWN, got, fault("no_reply", detail))
    printer = got[QUERY_PRINTER]
    cause = got.get(QUERY_OFFLINE_CAUSE, 0)
    error = got.get(QUERY_ERROR_CAUSE, 0)
    paper = got.get(QUERY_PAPER, 0)
    # The two bits of each paper pair mirror one sensor; either one set is taken as set (fail safe).
    if paper & _PAPER_ABSENT or cause & _PAPER_END_STOP:
        return PrinterStatus(PrinterState.PAPER_OUT, got, fault("paper_out"))
    if cause & _COVER_OPEN:
        return PrinterStatus(PrinterState.COVER_OPEN, got, fault("cover_open"))
    if error & _AUTOCUTTER:
        return PrinterStatus(PrinterState.CUTTER_ERROR, got, fault("cutter_error"))
    if printer & _OFFLINE or cause & _ERROR:
        details = [
            name
            for bit, name in (
                (_UNRECOVERABLE, "unrecoverable error"),
                (_AUTO_RECOVERABLE, "auto-recoverable"),
            )
            if error & bit
        ]
        return PrinterStatus(PrinterState.OFFLINE, got, fault("offline", ", ".join(details)))
    if paper & _NEAR_END:
        return PrinterStatus(PrinterState.PAPER_NEAR_END, got, fault("paper_near_end"))
    return PrinterStatus(PrinterState.READY, got, None)


#: Reply bytes for ``DLE EOT 1..4`` per scripted state, used by the simulated printer and the tests.
#: ``None`` for a state means the printer stays silent.
SCRIPTED_REPLIES: dict[PrinterState, tuple[int, int, int, int] | None] = {
    PrinterState.READY: (0x12, 0x12, 0x12, 0x12),
    PrinterState.PAPER_NEAR_END: (0x12, 0x12, 0x12, 0x1E),
    PrinterState.PAPER_OUT: (0x1A, 0x32, 0x12, 0x7E),
    PrinterState.COVER_OPEN: (0x1A, 0x16, 0x12, 0x12),
    PrinterState.CUTTER_ERROR: (0x1A, 0x52, 0x1A, 0x12),
    PrinterState.OFFLINE: (0x1A, 0x12, 0x12, 0x12),
    PrinterState.UNKNOWN: None,
}
