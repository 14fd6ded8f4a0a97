"""Render the category icons: assets/icons/src/*.svg (the sources, drawn for this product) → assets/icons/*.png.

The icons are white shapes on a transparent ground; the kiosk tints them with the category's colour
(or draws them white on it). Only a small SVG subset is used, so Pillow renders it without a
graphics library: <rect x y width height rx>, <circle cx cy r>, <line>, <polyline>, <polygon>, each
with fill="white" or stroke="white" stroke-width (round caps and joins). Drawn at 4× and scaled
down for smooth edges.

Usage:  python scripts/make_icons.py [--size 128]     (the PNGs are committed; re-run after editing)
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "assets" / "icons" / "src"
OUT = ROOT / "assets" / "icons"
NS = "{http://www.w3.org/2000/svg}"
OVERSAMPLE = 4


def _points(text: str) -> list[tuple[float, float]]:
    out = []
    for pair in text.split():
        x, y = pair.split(",")
        out.append((float(x), float(y)))
    return out


def _stroke_line(draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], width: float) -> None:
    draw.line(pts, fill=255, width=round(width), joint="curve")
    for x, y in (pts[0], pts[-1]):  # round caps
        r = width / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


def render(svg: Path, size: int = 128) -> Image.Image:
    """The icon as an RGBA image: white, its shape in the alpha channel."""
    root = ET.parse(svg).getroot()
    view = [float(v) for v in root.get("viewBox", "0 0 96 96").split()]
    k = size * OVERSAMPLE / view[2]
    mask = Image.new("L", (size * OVERSAMPLE, size * OVERSAMPLE), 0)
    draw = ImageDraw.Draw(mask)
    for el in root:
        tag = el.tag.removeprefix(NS)
        if tag == "title":
            continue
        fill = el.get("fill", "none") != "none"
        stroke = el.get("stroke", "none") != "none"
        width = float(el.get("stroke-width", "1")) * k

        def num(name: str, el: ET.Element = el) -> float:
            return float(el.get(name, "0")) * k

        if tag == "rect":
            box = (num("x"), num("y"), num("x") + num("width"), num("y") + num("height"))
            r = num("rx")
            draw.rounded_rectangle(box, r, fill=255 if fill else None, outline=255 if stroke else None,
                                   width=round(width) if stroke else 0)  # fmt: skip
        elif tag == "circle":
            cx, cy, r = num("cx"), num("cy"), num("r")
            box = (cx - r - (width / 2 if stroke else 0), cy - r - (width / 2 if stroke else 0),
                   cx + r + (width / 2 if stroke else 0), cy + r + (width / 2 if stroke else 0))  # fmt: skip
            draw.ellipse(box, fill=255 if fill else None, outline=255 if stroke else None,
                         width=round(width) if stroke else 0)  # fmt: skip
        elif tag in ("line", "polyline", "polygon"):
            if tag == "line":
                pts = [(num("x1"), num("y1")), (num("x2"), num("y2"))]
            else:
                pts = [(x * k, y * k) for x, y in _points(el.get("points", ""))]
            if tag == "polygon":
                if fill:
                    draw.polygon(pts, fill=255)
                if stroke:
                    _stroke_line(draw, [*pts, pts[0], pts[1]], width)
            elif stroke:
                _stroke_line(draw, pts, width)
        else:
            raise ValueError(f"{svg.name}: <{tag}> is outside the subset this script draws")
    alpha = mask.resize((size, size), Image.Resampling.LANCZOS)
    icon = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    icon.putalpha(alpha)
    return icon


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args(argv)
    sources = sorted(SRC.glob("*.svg"))
    if not sources:
        sys.exit(f"no SVG sources in {SRC}")
    for svg in sources:
        render(svg, args.size).save(OUT / f"{svg.stem}.png", optimize=True)
    print(f"{len(sources)} icons rendered into {OUT}")


if __name__ == "__main__":
    main()
