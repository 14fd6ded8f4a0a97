"""Which recorded segments make up a call's announcement, shared by the kiosk's voice and the call board's.

The segments are committed WAVs under assets/voice/ (scripts/make_voice.py), so a call is spoken the
same, offline, on whichever device speaks it.
"""

from __future__ import annotations

from pathlib import Path

VOICE_ASSETS = Path(__file__).resolve().parents[2] / "assets" / "voice"


def window_words(n: int) -> list[str]:
    """Window numbers are read as numbers: 3 → 三, 12 → 十二, 20 → 二十, 35 → 三十五."""
    if n < 10:
        return [f"d{n}"]
    tens, ones = divmod(n, 10)
    words = ([] if tens == 1 else [f"d{tens}"]) + ["shi"]
    return words + ([f"d{ones}"] if ones else [])


def number_words(number: str) -> list[str]:
    """Ticket numbers are read character by character: A012 → A 零 一 二."""
    out = []
    for ch in number.upper():
        if ch.isdigit():
            out.append(f"d{ch}")
        elif "A" <= ch <= "Z":
            out.append(f"l{ch}")
    return out


def segments_for(number: str, window: int, recall: bool = False) -> list[str]:
    head = ["chime"] + (["zaici"] if recall else [])
    return [*head, "qing", *number_words(number), "hao", "dao", *window_words(window), "chuangkou"]


def call_text(number: str, window: int) -> str:
    return f"请 {number} 号 到 {window} 号窗口办理"


__all__ = ["VOICE_ASSETS", "call_text", "number_words", "segments_for", "window_words"]
