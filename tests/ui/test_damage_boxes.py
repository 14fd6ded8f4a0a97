"""How a frame's changed shapes become the boxes it is redrawn in (no window needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.ui.partial_redraw import MAX_BOXES, PASS_SHARE, area, clusters, union

W, H = 1920, 1080
PIXELS = W * H


@st.composite
def boxes(draw: st.DrawFn) -> tuple[int, int, int, int]:
    x0 = draw(st.integers(0, W - 1))
    y0 = draw(st.integers(0, H - 1))
    return (x0, y0, draw(st.integers(x0 + 1, W)), draw(st.integers(y0 + 1, H)))


def covers(outer: tuple[int, int, int, int], inner: tuple[int, int, int, int]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


@given(st.lists(boxes(), min_size=1, max_size=40))
def test_every_change_lies_inside_one_box_and_no_more_boxes_than_allowed(
    changed: list[tuple[int, int, int, int]],
) -> None:
    out = clusters(changed, PIXELS)
    assert 1 <= len(out) <= MAX_BOXES
    assert all(any(covers(o, c) for o in out) for c in changed)
    whole = union(changed)
    assert whole is not None
    # Never dearer than the one box around everything, counting each extra pass.
    assert sum(area(o) for o in out) + PASS_SHARE * PIXELS * (len(out) - 1) <= area(whole)


def test_a_banner_at_the_top_and_a_line_at_the_foot_are_two_small_boxes() -> None:
    banner = (0, 960, 1920, 1080)
    line = (1400, 40, 1900, 120)
    out = clusters([banner, line, (1410, 50, 1600, 110)], PIXELS)
    assert sorted(out) == sorted([banner, line])


def test_changes_side_by_side_are_one_box() -> None:
    assert clusters([(100, 100, 200, 200), (210, 100, 300, 200)], PIXELS) == [(100, 100, 300, 200)]


def test_small_changes_stay_one_box_even_when_apart() -> None:
    # Under a tenth of the window in all: another pass would cost more than the pixels between.
    out = clusters([(0, 0, 50, 50), (500, 300, 550, 350)], PIXELS)
    assert out == [(0, 0, 550, 350)]
