"""The home screen's plan (Kivy-free): categories never split from their services, sizes for a
finger, colours and icons for every category, and every text colour of the theme at WCAG AA."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from kiosk.config.loader import ConfigError, load_config
from kiosk.config.schema import SHIPPED_ICONS, CategoryLook, white_text_contrast
from kiosk.services import home_plan
from kiosk.ui import palette

ROOT = Path(__file__).resolve().parents[2]
HALLS = {
    "three": ROOT / "tests" / "ui" / "halls" / "three.yaml",
    "sample": ROOT / "assets" / "hall.sample.yaml",
    "forty": ROOT / "tests" / "ui" / "halls" / "forty.yaml",
}
# The service area of the home screen at each size (what the UI test measured), normal and 长者模式.
AREAS = {"1920x1080": (1405, 834), "1080x1920": (1016, 1062)}


def test_the_three_halls_have_the_sizes_the_issue_names() -> None:
    counts = {}
    for name, path in HALLS.items():
        groups = home_plan.groups(load_config(path))
        counts[name] = (sum(len(g.services) for g in groups), len(groups))
    assert counts == {"three": (3, 1), "sample": (11, 6), "forty": (40, 9)}


@pytest.mark.parametrize("hall", sorted(HALLS))
@pytest.mark.parametrize("size", sorted(AREAS))
@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_a_plan_keeps_each_category_whole_and_nothing_overlaps(hall: str, size: str, scale: float) -> None:
    config = load_config(HALLS[hall])
    width, height = AREAS[size]
    m = home_plan.Metrics(scale=scale, min_target=palette.MIN_TARGET_PX)
    groups = home_plan.groups(config)
    pages = [[len(g.services) for g in groups]]
    if home_plan.choose_two_step(config, width, height, m):
        tiles = home_plan.plan_tiles(len(groups), width, height, m)
        assert max(t.y + t.h for t in tiles) <= height
        assert not any(a.overlaps(b) for i, a in enumerate(tiles) for b in tiles[i + 1 :])
        pages = [[len(g.services)] for g in groups]
    for sizes in pages:
        plan = home_plan.plan_one_screen(sizes, width, height, m)
        assert plan is not None and plan.height <= height + 0.01, (sizes, "does not fit")
        boxes = [b for s in plan.sections for b in (s.heading, *s.buttons)]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
        for s in plan.sections:
            first = s.buttons[0]
            # the heading and the first service share one section, heading on top
            for b in (s.heading, *s.buttons):
                assert s.frame.x <= b.x and b.x + b.w <= s.frame.x + s.frame.w + 0.01
                assert s.frame.y <= b.y and b.y + b.h <= s.frame.y + s.frame.h + 0.01
            assert s.heading.y + s.heading.h <= first.y
            assert all(min(b.w, b.h) >= palette.MIN_TARGET_PX for b in s.buttons)
            assert len(s.buttons) == sizes[s.group]
            # the tint fills the section around the buttons, never under them
            solid = [*home_plan.tint_pieces(s), *s.buttons]
            assert not any(a.overlaps(b) for i, a in enumerate(solid) for b in solid[i + 1 :])
            covered = sum(b.w * b.h for b in solid)
            assert covered == pytest.approx(s.frame.w * s.frame.h, rel=1e-6)


def test_more_services_than_fit_go_by_category() -> None:
    m = home_plan.Metrics()
    assert not home_plan.choose_two_step(load_config(HALLS["sample"]), *AREAS["1920x1080"], m)
    assert home_plan.choose_two_step(load_config(HALLS["forty"]), *AREAS["1920x1080"], m)


def test_long_names_break_in_the_middle_never_leaving_one_character() -> None:
    assert home_plan.balanced("城乡居民养老保险参保登记", 11) == "城乡居民养老\n保险参保登记"
    assert home_plan.balanced("社保卡申领", 11) == "社保卡申领"
    assert home_plan.balanced("咨询（首问窗口）", 6) == "咨询\n（首问窗口）"


def test_every_category_has_a_shipped_icon_and_a_colour_white_text_reads_on() -> None:
    for path in HALLS.values():
        for g in home_plan.groups(load_config(path)):
            assert g.icon in SHIPPED_ICONS and Path(g.icon_path).exists(), g
            assert white_text_contrast(g.colour) >= 4.5, g
            heading_on_tint = palette.contrast(home_plan.rgba(g.colour), home_plan.tint(g.colour))
            assert heading_on_tint >= 4.5, g
    for _word, _icon, colour in home_plan.USUAL:
        assert white_text_contrast(colour) >= 4.5, colour
    assert white_text_contrast(home_plan.FIRST_ASK_COLOUR) >= 4.5
    sample = load_config(HALLS["sample"])
    assert home_plan.look_for(sample, "社保医保") == ("social_insurance", "#1C5BA8")
    assert home_plan.service_colour(sample, "consult") == home_plan.FIRST_ASK_COLOUR


def test_a_colour_white_text_cannot_be_read_on_is_refused() -> None:
    with pytest.raises(ValueError, match=r"contrast 1\.\d:1, below 4\.5:1"):
        CategoryLook(name="社保医保", colour="#FFE08A")
    with pytest.raises(ValueError, match="unknown icon"):
        CategoryLook(name="社保医保", icon="smiley")


@pytest.mark.parametrize("where, text, background, large", palette.TEXT_ON)
def test_every_text_colour_of_the_theme_meets_wcag_aa(where: str, text, background, large: bool) -> None:  # type: ignore[no-untyped-def]
    needed = 3.0 if large else 4.5
    assert palette.contrast(text, palette.over(background, palette.BG)) >= needed, where


def test_icons_are_rendered_from_their_svg_sources() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    assert spec and spec.loader
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    for name in SHIPPED_ICONS:
        svg = ROOT / "assets" / "icons" / "src" / f"{name}.svg"
        with Image.open(ROOT / "assets" / "icons" / f"{name}.png") as committed:
            fresh = make_icons.render(svg, committed.width)
            a, b = committed.getchannel("A"), fresh.getchannel("A")
            diff = sum(abs(x - y) for x, y in zip(a.getdata(), b.getdata(), strict=True)) / (
                a.width * a.height
            )
            assert diff < 2, (name, "re-run scripts/make_icons.py")
            assert 0.08 < sum(1 for v in a.getdata() if v > 128) / (a.width * a.height) < 0.7, name


# ---- a hall's own icons --------------------------------------------------------------------------
def _hall_with_icon(tmp_path: Path, icon: str) -> Path:
    """The three-service hall written to tmp_path with social_card's icon set to `icon`."""
    text = HALLS["three"].read_text(encoding="utf-8").replace("icon: social-card.png", f"icon: {icon}")
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_service_with_its_own_icon_shows_it_the_others_their_category_s(tmp_path: Path) -> None:
    config = load_config(HALLS["three"])
    (group,) = home_plan.groups(config)
    own = {s.code: home_plan.service_icon(s) for s in group.services}
    assert own["social_card"] == str((HALLS["three"].parent / "social-card.png").resolve())
    assert Path(own["social_card"]).is_file()
    assert own["pension_enrol"] == own["medical_insurance"] == ""  # the heading carries 社保医保's
    assert group.icon_path == str(home_plan.ICONS / "social_insurance.png")
    # A shipped icon by name works for a service too; a category may have a file of its own.
    Image.new("RGBA", (64, 64), (255, 255, 255, 0)).save(tmp_path / "ours.png")
    path = _hall_with_icon(tmp_path, "legal")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("home: {}", "home: {categories: [{name: 社保医保, icon: ours.png}]}"), "utf-8"
    )
    config = load_config(path)
    (group,) = home_plan.groups(config)
    assert home_plan.service_icon(config.service("social_card")) == str(home_plan.ICONS / "legal.png")
    assert group.icon_path == str((tmp_path / "ours.png").resolve())


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    "icon, message",
    [
        ("missing.png", "icon file not found: {dir}/missing.png"),
        ("not-a-picture.png", "icon file is not a PNG image: {dir}/not-a-picture.png"),
        ("huge.png", "icon file is 2000×40 px: {dir}/huge.png"),
    ],
)
def test_a_missing_or_bad_icon_file_is_a_config_error_naming_file_line_and_field(
    tmp_path: Path, icon: str, message: str
) -> None:
    (tmp_path / "not-a-picture.png").write_text("社保卡", encoding="utf-8")
    Image.new("RGBA", (2000, 40)).save(tmp_path / "huge.png")
    path = _hall_with_icon(tmp_path, icon)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    where = (problem.file, problem.line, problem.field)
    assert where == (str(path), _line_of(path, f"icon: {icon}"), "services[2].icon")
    assert problem.message == message.format(dir=tmp_path)
    assert problem.hint


def test_an_icon_that_is_neither_shipped_nor_a_png_is_refused(tmp_path: Path) -> None:
    path = _hall_with_icon(tmp_path, "smiley")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (_line_of(path, "icon: smiley"), "services[2].icon")
    assert "unknown icon 'smiley'" in problem.message and "social_insurance" in problem.message


def test_a_long_name_shrinks_a_little_onto_one_line_or_breaks_into_two() -> None:
    assert home_plan.name_fit("社保卡申领", 400, 34) == ("社保卡申领", 34)
    assert home_plan.name_fit("党群与退役军人服务", 386, 44) == ("党群与退役军人服务", 42)
    assert home_plan.name_fit("城乡居民养老保险参保登记", 216, 34) == ("城乡居民养老\n保险参保登记", 34)
    assert home_plan.name_fit("城乡居民养老保险参保登记", 180, 34) == ("城乡居民养老\n保险参保登记", 30)
    assert home_plan.name_fit("城乡居民养老保险参保登记", 90, 34)[1] == 25  # never below 3/4 of the size


def test_a_category_colour_lightened_for_the_dark_call_board_stands_out_at_3_to_1() -> None:
    """On the board's dark panels the kiosk's category colours reach only 1.7–2.2:1 (WCAG asks 3:1
    of a graphical object such as a stripe); `on_dark` gives the same hue, lighter."""
    import re

    from kiosk.config.schema import hex_contrast

    css = (ROOT / "kiosk" / "board" / "static" / "board.css").read_text(encoding="utf-8")
    dark = [re.search(rf"--{name}: (#[0-9a-fA-F]{{6}})", css).group(1) for name in ("bg", "panel")]  # type: ignore[union-attr]
    colours = {c for _w, _i, c in home_plan.USUAL} | set(home_plan.SPARE_COLOURS)
    assert min(hex_contrast(c, dark[1]) for c in colours) < 3  # what the board shows today
    for colour in colours:
        for background in dark:
            light = home_plan.on_dark(colour, background)
            assert hex_contrast(light, background) >= 3, (colour, background, light)
            r, g, b, _ = home_plan.rgba(colour)
            lr, lg, lb, _ = home_plan.rgba(light)
            assert (r >= g) == (lr >= lg) and (g >= b) == (lg >= lb), (colour, light)  # the same hue order
