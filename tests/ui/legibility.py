"""What a resident can read and press on the screen as it is drawn now (call on the Kivy thread).

`check_screen` walks the window's canvas in drawing order, as the GPU gets it: every solid shape
(a rectangle, a button's background) with the colour and opacity it is painted in and where it lands
in window coordinates (through each RelativeLayout's and ScrollView's translation, clipped by the
scissor), and every label's text where its texture is drawn. For each text it takes the colours the
text is actually drawn in (the label's colour or disabled colour, each `[color]` of its markup) and
the background composited from the shapes painted beneath it at points across the text, and holds
their contrast to WCAG 2.x AA: 4.5:1, or 3:1 for large text (24 px, or 18.7 px bold). Every button
on screen must be at least `palette.MIN_TARGET_MM` in both directions at the kiosk's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kiosk.ui import palette

LARGE_PX = 24.0
LARGE_BOLD_PX = 18.66
_TAG = re.compile(
    r"\[(/?)(b|i|u|s|size|color|font|font_context|font_family|font_features|ref|anchor|sub|sup"
    r"|text_language)(?:=([^\]]*))?\]"
)


@dataclass(frozen=True)
class Run:
    """A stretch of a label's text in one colour, size and weight."""

    text: str
    colour: palette.Colour
    size: float
    bold: bool


@dataclass
class Finding:
    where: str  # the screen and state being checked
    widget: str
    text: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.widget} «{self.text[:30]}» {self.detail}"


def parse_colour(value: str) -> palette.Colour:
    from kivy.utils import get_color_from_hex

    c = get_color_from_hex(value) if value.startswith("#") else None
    if c is None:
        raise ValueError(f"colour {value!r} in markup is not #RRGGBB")
    return (c[0], c[1], c[2], c[3] if len(c) > 3 else 1.0)


def runs(text: str, colour: palette.Colour, size: float, bold: bool, markup: bool) -> list[Run]:
    """The label's text split where its markup changes colour, size or weight."""
    if not markup:
        return [Run(text, colour, size, bold)] if text.strip() else []
    out: list[Run] = []
    colours, sizes, bolds = [colour], [size], [bold]
    at = 0
    for m in [*_TAG.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[at:end].replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&")
        if piece.strip():
            out.append(Run(piece, colours[-1], sizes[-1], bolds[-1]))
        if m is None:
            break
        at = m.end()
        closing, tag, value = m.group(1) == "/", m.group(2), m.group(3)
        stack: list[Any] | None = {"color": colours, "size": sizes, "b": bolds}.get(tag)
        if stack is None:
            continue
        if closing:
            if len(stack) > 1:
                stack.pop()
        elif tag == "color":
            colours.append(parse_colour(value or ""))
        elif tag == "size":
            sizes.append(float((value or str(size)).removesuffix("px").removesuffix("sp").removesuffix("dp")))
        else:
            bolds.append(True)
    return out


def needed(run: Run) -> float:
    large = run.size >= LARGE_PX or (run.bold and run.size >= LARGE_BOLD_PX)
    return 3.0 if large else 4.5


# ---- the canvas as drawn ----------------------------------------------------------------------------
Box = tuple[float, float, float, float]  # x, y, w, h in window coordinates


def _clip(box: Box, scissor: Box | None) -> Box | None:
    if scissor is None:
        return box
    x0, y0 = max(box[0], scissor[0]), max(box[1], scissor[1])
    x1 = min(box[0] + box[2], scissor[0] + scissor[2])
    y1 = min(box[1] + box[3], scissor[1] + scissor[3])
    return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


@dataclass
class Painted:
    box: Box
    colour: palette.Colour  # with the canvas opacity in its alpha


@dataclass
class TextDraw:
    label: Any
    box: Box  # the visible part of the label's texture
    beneath: list[Painted]  # every solid shape painted before it
    opacity: float


def scan(window: Any) -> list[TextDraw]:
    """Solid shapes and label texts of the window's canvas, in the order they are drawn."""
    from kivy.app import App
    from kivy.graphics import (
        BorderImage,
        Canvas,
        Color,
        InstructionGroup,
        PopMatrix,
        PushMatrix,
        Rectangle,
        RoundedRectangle,
        Translate,
    )
    from kivy.graphics.context_instructions import MatrixInstruction
    from kivy.graphics.instructions import Instruction
    from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
    from kivy.graphics.transformation import Matrix
    from kivy.uix.label import Label

    from tests.ui.automation import walk

    # The frame's own scissor (partial redraws) bounds what the last frame redrew, not the screen.
    redraw = getattr(App.get_running_app(), "redraw", None)
    frame_scissor = redraw.tracker.skip_ids if redraw is not None else frozenset()
    labels: dict[int, Any] = {}
    for root in window.children:
        for w in walk(root):
            if isinstance(w, Label):
                labels[id(w.canvas)] = w
    painted: list[Painted] = []
    texts: list[TextDraw] = []
    state = {"colour": (1.0, 1.0, 1.0, 1.0), "tx": 0.0, "ty": 0.0}
    matrices: list[tuple[float, float]] = []
    scissors: list[Box | None] = [None]

    def visit(node: Instruction, opacity: float, label: Any) -> None:
        if id(node) in frame_scissor:
            return
        if isinstance(node, Canvas):  # a widget's: before, its own instructions and children, after
            opacity *= node.opacity
            if opacity <= 0:
                return
            own = labels.get(id(node))
            for part in (node.before, node, node.after):
                for child in list(part.children):
                    visit(child, opacity, own)
        elif isinstance(node, InstructionGroup):
            for child in list(node.children):
                visit(child, opacity, label)
        elif isinstance(node, Color):
            state["colour"] = tuple(node.rgba)  # type: ignore[assignment]
        elif isinstance(node, PushMatrix):
            matrices.append((state["tx"], state["ty"]))  # type: ignore[arg-type]
        elif isinstance(node, PopMatrix):
            state["tx"], state["ty"] = matrices.pop() if matrices else (0.0, 0.0)
        elif isinstance(node, Translate):
            state["tx"] += node.x  # type: ignore[operator]
            state["ty"] += node.y  # type: ignore[operator]
        elif isinstance(node, ScissorPush):
            scissors.append(_clip((node.x, node.y, node.width, node.height), scissors[-1]) or (0, 0, 0, 0))
        elif isinstance(node, ScissorPop):
            if len(scissors) > 1:
                scissors.pop()
        elif isinstance(node, Rectangle | RoundedRectangle | BorderImage):
            shape(node, opacity, label)
        elif isinstance(node, MatrixInstruction) and node.matrix.tolist() != Matrix().tolist():
            raise AssertionError(f"{type(node).__name__} on the canvas: the scan follows translations only")

    def shape(node: Any, opacity: float, label: Any) -> None:
        x, y = node.pos
        w, h = node.size
        box = _clip((x + state["tx"], y + state["ty"], w, h), scissors[-1])  # type: ignore[operator]
        if box is None or w <= 0 or h <= 0:
            return
        r, g, b, a = state["colour"]  # type: ignore[misc]
        if label is not None and node.texture is not None and node.texture is label.texture:
            texts.append(TextDraw(label, box, list(painted), opacity * a))
        elif node.texture is None or _plain(node):  # a solid shape, not a picture
            painted.append(Painted(box, (r, g, b, a * opacity)))

    visit(window.canvas, 1.0, None)
    return texts


def _plain(rect: Any) -> bool:
    """A shape drawn with Kivy's plain white texture (a solid colour), not an image or a label."""
    from os.path import join

    from kivy import kivy_shader_dir
    from kivy.cache import Cache

    white = Cache.get("kv.texture", join(kivy_shader_dir, "default.png"))
    return rect.texture is not None and white is not None and rect.texture.id == white.id


def background_at(x: float, y: float, beneath: list[Painted], clear: palette.Colour) -> palette.Colour:
    colour = (*clear[:3], 1.0)
    for p in beneath:
        bx, by, bw, bh = p.box
        if bx <= x <= bx + bw and by <= y <= by + bh:
            colour = palette.over(p.colour, colour)
    return colour


def sample_points(box: Box, across: int = 7, down: int = 3) -> list[tuple[float, float]]:
    x, y, w, h = box
    return [
        (x + 1 + (w - 2) * i / (across - 1), y + 1 + (h - 2) * j / (down - 1))
        for i in range(across)
        for j in range(down)
    ]


def label_runs(label: Any) -> list[Run]:
    colour = tuple(label.disabled_color if label.disabled else label.color)
    return runs(label.text, colour, float(label.font_size), bool(label.bold), bool(label.markup))  # type: ignore[arg-type]


def describe(w: Any) -> str:
    key = getattr(w, "key", "") or getattr(w, "id", "") or ""
    parent = w.parent
    while not key and parent is not None and parent is not parent.parent:
        key = getattr(parent, "key", "")
        parent = parent.parent
    return f"{type(w).__name__}({key})" if key else type(w).__name__


def check_text(where: str, window: Any) -> list[Finding]:
    found = []
    clear = tuple(window.clearcolor)
    for draw in scan(window):
        for run in label_runs(draw.label):
            worst = 21.0
            for x, y in sample_points(draw.box):
                bg = background_at(x, y, draw.beneath, clear)  # type: ignore[arg-type]
                fg = palette.over((*run.colour[:3], run.colour[3] * draw.opacity), bg)
                worst = min(worst, palette.contrast(fg, bg))
            if worst < needed(run):
                found.append(
                    Finding(
                        where,
                        describe(draw.label),
                        run.text.strip(),
                        f"contrast {worst:.2f}:1 at {run.size:.0f} px{' bold' if run.bold else ''}, "
                        f"needs {needed(run)}:1",
                    )
                )
    return found


def check_targets(where: str, window: Any) -> list[Finding]:
    from kivy.uix.behaviors import ButtonBehavior

    from tests.ui.automation import walk

    found = []
    screen = (0.0, 0.0, float(window.width), float(window.height))
    for root in window.children:
        for w in walk(root):
            if not isinstance(w, ButtonBehavior) or not _shown(w):
                continue
            x, y = w.to_window(w.x, w.y)
            if _clip((x, y, w.width, w.height), screen) is None:
                continue
            mm = min(w.width, w.height) / palette.PX_PER_MM
            if mm < palette.MIN_TARGET_MM - 0.05:
                text = getattr(w, "text", "")
                found.append(
                    Finding(where, describe(w), text, f"{mm:.1f} mm, needs {palette.MIN_TARGET_MM} mm")
                )
    return found


def _shown(w: Any) -> bool:
    node = w
    while node is not None and node is not node.parent:
        if getattr(node, "opacity", 1) == 0:
            return False
        node = node.parent
    return w.width > 0 and w.height > 0


def check_screen(where: str) -> tuple[list[Finding], int]:
    """Every text and button on the window now: what fails, and how many texts were checked."""
    from kivy.core.window import Window

    texts = scan(Window)
    return check_text(where, Window) + check_targets(where, Window), len(texts)
