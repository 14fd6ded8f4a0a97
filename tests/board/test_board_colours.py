"""The board's category stripes against the grounds they are drawn on: the model's grounds are the
sheet's own, and every stripe of the sample hall stands out from each of them at WCAG's 3:1."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.board.model import (
    BOARD_BG,
    BOARD_FRESH,
    BOARD_PANEL,
    STRIPE_CONTRAST,
    STRIPE_GROUNDS,
    BoardModel,
    EventKind,
    stripe_colour,
)
from kiosk.config.schema import HallConfig, hex_contrast
from kiosk.engine.notices import Notice, NoticeKind
from kiosk.services import home_plan

SHEET = Path(__file__).resolve().parents[2] / "kiosk" / "board" / "static" / "board.css"


def sheet_colours() -> dict[str, str]:
    """The sheet's :root custom properties that are plain #RRGGBB colours, by name."""
    root = re.search(r":root\s*\{(.*?)\}", SHEET.read_text(encoding="utf-8"), re.S)
    assert root is not None
    return {m[1]: m[2].lower() for m in re.finditer(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", root[1])}


def test_the_models_grounds_are_the_ones_the_sheet_paints() -> None:
    colours = sheet_colours()
    assert (colours["bg"], colours["panel"], colours["fresh"]) == (BOARD_BG, BOARD_PANEL, BOARD_FRESH)
    # Every ground in the sheet is one of its variables, so a new ground cannot come in unchecked: all
    # but the outage banner's red (no stripe on it) are the grounds the model lightens stripes for.
    sheet = SHEET.read_text(encoding="utf-8")
    grounds = re.findall(r"background(?:-color)?:\s*([^;}]+)", sheet)
    assert grounds and all(re.fullmatch(r"var\(--[\w-]+\)", g.strip()) for g in grounds), grounds
    used = {re.sub(r"var\(--([\w-]+)\)", r"\1", g.strip()) for g in grounds}
    assert {colours[name] for name in used - {"red"}} == set(STRIPE_GROUNDS)


def test_every_sample_category_stripe_stands_out_at_3_to_1_on_every_board_ground(
    sample_config: HallConfig,
) -> None:
    colours = {home_plan.service_colour(sample_config, s.code) for s in sample_config.services}
    # Why the stripe is not the kiosk's own colour: on the panels that one is too faint.
    assert max(hex_contrast(c, BOARD_PANEL) for c in colours) < STRIPE_CONTRAST
    stripes = {c: stripe_colour(c) for c in colours}
    for colour, stripe in stripes.items():
        for ground in STRIPE_GROUNDS:
            assert hex_contrast(stripe, ground) >= STRIPE_CONTRAST, (colour, stripe, ground)
    assert len(set(stripes.values())) == len(colours)  # the categories are still told apart
    assert stripe_colour("") == ""


def test_every_event_carries_the_stripe_beside_the_colour(sample_config: HallConfig) -> None:
    model = BoardModel.create(sample_config, 8, False)
    for line in model.queue_event()[1]["services"]:
        assert line["stripe"] == stripe_colour(line["colour"])
    colour = home_plan.service_colour(sample_config, "minimum_living")
    [(kind, call)] = model.apply(
        Notice(NoticeKind.CALLED, window=3, number="D001", service_code="minimum_living")
    )
    assert kind is EventKind.CALL
    assert (call["colour"], call["stripe"]) == (colour, stripe_colour(colour))
    snap = model.snapshot()
    assert next(w for w in snap["windows"] if w["number"] == 3)["stripe"] == stripe_colour(colour)
    assert snap["latest"][0]["stripe"] == stripe_colour(colour)
    # The service ends: the window's stripe goes with its number.
    [(kind, window)] = model.apply(Notice(NoticeKind.FINISHED, window=3, number="D001"))
    assert kind is EventKind.WINDOW
    assert (window["current"], window["colour"], window["stripe"]) == (None, "", "")
