"""Chinese text for ESC/POS: GB18030 bytes, what the printer's font can show, column widths, wrapping.

python-escpos 3.1's magic encode only switches to GB18030 when a string holds a character in
U+4E00–U+9FA5 and never sends ``FS &``, so lines of full-width punctuation come out as '?'. We encode
every line ourselves and write the bytes raw, after ``FS &``.
"""

from __future__ import annotations

import re
from typing import Literal

Charset = Literal["gb2312", "gbk", "gb18030"]

#: Enter / leave Chinese character mode.
FS_AND = b"\x1c\x26"
FS_DOT = b"\x1c\x2e"

# Closing punctuation that must not start a line (避头点).
_NO_LINE_START = set("，。、；：！？）》」』】〕…%,.;:!?)")
# Opening brackets that must not end a line (避尾点).
_NO_LINE_END = set("（《「『【〔“‘(")


def clean(text: str) -> str:
    """Drop control characters so a configured string can never smuggle an ESC/POS command."""
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f")


def to_wire(text: str) -> bytes:
    """GB18030 bytes of one line of text (ASCII stays one byte each)."""
    return clean(text).encode("gb18030")


def printable(text: str, charset: Charset) -> bool:
    """True when every character is in the printer's font (encodable in ``charset``)."""
    try:
        clean(text).encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def char_columns(ch: str) -> int:
    """Columns a character takes on a Chinese printer: every double-byte character is full-width."""
    return 1 if ord(ch) < 0x80 else 2


def columns(text: str) -> int:
    """Width of ``text`` in font-A columns (12 dots each)."""
    return sum(char_columns(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    """ASCII words and numbers stay whole; every other character is its own token."""
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9.:/\-]*|.", text)


def wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` columns, never starting a line with closing
    punctuation and never splitting an ASCII word that fits on a line of its own."""
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    tokens: list[str] = []
    for tok in _tokens(clean(text)):
        # A word longer than a whole line is split by character.
        tokens.extend(list(tok) if columns(tok) > width else [tok])
    lines: list[list[str]] = [[]]
    used = 0
    for tok in tokens:
        w = columns(tok)
        if used + w > width and lines[-1]:
            carry: list[str] = []
            if tok[0] in _NO_LINE_START and len(lines[-1]) > 1:
                carry = [lines[-1].pop()]  # take the last character down with the punctuation mark
            while len(lines[-1]) > 1 and lines[-1][-1] in _NO_LINE_END:
                carry.insert(0, lines[-1].pop())  # an opening bracket goes down with what it opens
            if carry and columns("".join(carry)) + w > width:
                # On a very narrow line the rule cannot be kept: the paper's width wins.
                lines[-1].extend(carry)
                carry = []
            lines.append(carry)
            used = columns("".join(carry))
            if tok == " " and not carry:
                continue
        lines[-1].append(tok)
        used += w
    return ["".join(line).rstrip(" ") for line in lines]
