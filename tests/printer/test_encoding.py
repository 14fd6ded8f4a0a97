"""GB18030 text, what a printer font can show, column widths and wrapping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as hs

from drivers.printer import encoding

_text = hs.text(
    alphabet=hs.sampled_from(list("取号请到窗口等候叫号，。（）《》、：abc XYZ 0123456789-")), max_size=120
)


@given(_text, hs.integers(4, 48))
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: int) -> None:
    lines = encoding.wrap(text, width)
    assert all(encoding.columns(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_the_width_wins_over_the_punctuation_rules_on_a_narrow_line() -> None:
    # Found by hypothesis: taking the opening bracket down with a 3-column word made a 5-column line.
    assert encoding.wrap("000、《000", 4) == ["000", "、《", "000"]


def test_closing_punctuation_never_starts_a_line() -> None:
    lines = encoding.wrap("请到服务台说明情况，谢谢", 18)  # the comma would be the 10th character
    assert lines == ["请到服务台说明情", "况，谢谢"]


def test_full_width_punctuation_alone_is_gb18030_not_question_marks() -> None:
    # python-escpos magic encode sends '?' for a line of only full-width punctuation (see protocols).
    assert encoding.to_wire("（）：，") == "（）：，".encode("gb18030")
    assert b"?" not in encoding.to_wire("（）：，")


def test_printable_depends_on_the_font() -> None:
    assert encoding.printable("柏杨街道", "gb2312")
    assert not encoding.printable("喆", "gb2312") and encoding.printable("喆", "gbk")
    assert not encoding.printable("𬌗", "gbk") and encoding.printable("𬌗", "gb18030")


def test_columns_count_double_byte_characters_as_two() -> None:
    assert encoding.columns("A012") == 4
    assert encoding.columns("窗口") == 4
    assert encoding.columns("～") == 2
