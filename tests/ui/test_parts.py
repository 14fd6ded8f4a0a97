"""The kiosk UI's Kivy-free parts: call wording and voice segments, the Chinese font, plain words."""

from __future__ import annotations

import datetime as dt
import io
import json
import wave
from pathlib import Path

from kiosk.services import ui_support as fmt
from kiosk.ui import fonts, voice

ROOT = Path(__file__).resolve().parents[2]


def test_call_segments_read_numbers_like_a_hall_announcer() -> None:
    assert voice.segments_for("A012", 3) == [
        "chime", "qing", "lA", "d0", "d1", "d2", "hao", "dao", "d3", "chuangkou",
    ]  # fmt: skip
    assert voice.segments_for("B104", 12, recall=True)[:3] == ["chime", "zaici", "qing"]
    assert voice.window_words(10) == ["shi"]
    assert voice.window_words(12) == ["shi", "d2"]
    assert voice.window_words(20) == ["d2", "shi"]
    assert voice.window_words(35) == ["d3", "shi", "d5"]


def test_every_segment_is_committed_small_and_joins_into_one_clip() -> None:
    folder = ROOT / "assets" / "voice"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["voice"] == "cmn"
    for name in manifest["segments"]:
        with wave.open(str(folder / f"{name}.wav"), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000), name
            assert 0.1 < w.getnframes() / 16000 < 2.5, name
    assert sum(p.stat().st_size for p in folder.glob("*.wav")) < 1_000_000
    clip = voice.SegmentBank(folder).join(voice.segments_for("Z999", 99, recall=True))
    with wave.open(io.BytesIO(clip), "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        assert abs(w.getnframes() / 16000 - voice.clip_seconds(clip)) < 0.01
    assert 3 < voice.clip_seconds(clip) < 12


def test_a_font_that_really_draws_chinese_is_found() -> None:
    path = fonts.find_chinese_font()
    assert path is not None, "install fonts-wqy-microhei or fonts-noto-cjk"
    assert fonts.has_cjk_glyphs(path)
    assert fonts.find_chinese_font("/nonexistent/font.ttf") == path
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if dejavu.exists():
        assert not fonts.has_cjk_glyphs(dejavu)  # what a stale fontconfig cache answers for lang=zh


def test_plain_words(sample_config) -> None:  # type: ignore[no-untyped-def]
    assert fmt.wait_text(0, 0, 0) == "无需等候"
    assert fmt.wait_text(3, 5, 15) == "等候 3 人 · 约 5–15 分钟"
    assert fmt.windows_text([1, 2]) == "1、2 号窗口"
    assert fmt.hours_text(sample_config) == "上午 09:00–12:00　下午 14:00–17:30"
    today = dt.date(2026, 11, 25)
    nine = dt.datetime(2026, 11, 26, 9, 0)
    assert fmt.next_opening_text(nine, today) == "下次开始取号：明天 09:00"
    lines = fmt.material_lines(sample_config.service("social_card"))
    assert lines[1] == "2. 近期免冠彩色照片　原件 2 张（一寸白底）"


def test_a_character_outside_the_main_font_gets_a_fallback_font() -> None:
    """𠮷 (U+20BB7, CJK Extension B) is not in WenQuanYi Micro Hei: on screen it was a box. The label
    markup now names a font that draws it (setup.sh installs fonts-hanazono), the rest stays as it was."""
    primary = fonts.find_chinese_font()
    assert primary is not None
    assert fonts.covers(primary, "家") and not fonts.covers(primary, "𠮷")
    text = fonts.with_fallback("𠮷野家 A001", primary)
    assert text.startswith("[font=") and text.endswith("]𠮷[/font]野家 A001"), text
    fallback = text[len("[font=") : text.index("]")]
    assert fonts.covers(fallback, "𠮷")
    assert fonts.with_fallback("柏杨街道双阳社区便民服务中心", primary) == "柏杨街道双阳社区便民服务中心"
