"""Redraw only the part of the window that changed, on a software renderer.

On Mesa's llvmpipe a whole 1920×1080 frame of the home screen costs about 20 ms of CPU, and a call,
the clock's minute or one button's waiting line changes a few per cent of it. Each frame,
`DamageTracker` lists what the window's canvas will draw (every shape with its place, colour,
texture and clip, in window pixels) and compares the list with the last frame's: the box around
what appeared, left or changed is the damage, gathered into at most three boxes (a call's banner at
the top and its line in the latest calls at the bottom are two small boxes, not one box over the
whole window). `PartialRedraw` then clears and draws the frame scissored to each box in turn; the
rest of the back buffer still holds the last frame, which llvmpipe keeps through the swap (it
copies the back buffer to the window). Anything the tracker cannot account
for (a transform other than a translation, a stencil, a custom shader call, a shape it does not
know, a new window size, a change in drawing order) draws the whole window, as does any driver
other than a software rasteriser, whose back buffer is not guaranteed to survive the swap.

A label re-renders its text into the texture it already has whenever the size stays the same, so
the texture alone does not say the text changed: `track_label_textures` gives every label's texture
a new version each time the label renders. The UI test `partial_frames` checks, frame by frame
through calls, tickets and screen changes, that a partial frame equals a full one pixel for pixel.

Set `KIOSK_REDRAW=full` to draw every frame whole (or `partial` to scissor on any driver).
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Above this share of the window, drawing it whole costs about the same and needs no bookkeeping.
FULL_SHARE = 0.6
# Smoothed edges and rounding to whole pixels reach a pixel or so beyond a shape's own box.
MARGIN = 2
# Each box draws the whole canvas again (scissored): on llvmpipe at 1920×1080 one more pass costs
# about what filling a tenth of the window does, so boxes are kept apart only where that pays.
MAX_BOXES = 3
PASS_SHARE = 0.1
# Changes closer than this are one box: the strip between them costs less than another pass.
NEAR = 24
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast")

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in window pixels, x1/y1 exclusive
Record = tuple[Any, ...]


class Untracked(Exception):
    """Something in the canvas whose pixels the tracker cannot bound: draw the whole window."""


_texture_versions: dict[int, int] = {}
_version = itertools.count(1)


def track_label_textures() -> None:
    """Give a label's texture a new version every time the label renders its text into it.

    Call before any label is made (labels take their render trigger from the class when built)."""
    from kivy.uix.label import Label

    if getattr(Label.texture_update, "_tracked", False):
        return
    original = Label.texture_update

    def texture_update(self: Any, *args: Any) -> None:
        original(self, *args)
        if self.texture is not None:
            _texture_versions[id(self.texture)] = next(_version)

    texture_update._tracked = True  # type: ignore[attr-defined]
    Label.texture_update = texture_update


@dataclass
class _State:
    rgba: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    opacity: float = 1.0
    dx: float = 0.0
    dy: float = 0.0
    clip: Box | None = None
    matrices: list[tuple[float, float]] = field(default_factory=list)
    clips: list[Box | None] = field(default_factory=list)


def _intersect(a: Box, b: Box | None) -> Box | None:
    if b is None:
        return a
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _box(xs: list[float], ys: list[float], grow: float = 0.0) -> Box:
    return (
        int(min(xs) - grow) - MARGIN,
        int(min(ys) - grow) - MARGIN,
        int(max(xs) + grow) + 1 + MARGIN,
        int(max(ys) + grow) + 1 + MARGIN,
    )


def area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def _near(a: Box, b: Box) -> bool:
    return a[0] - NEAR < b[2] and b[0] - NEAR < a[2] and a[1] - NEAR < b[3] and b[1] - NEAR < a[3]


def _join(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _merge_near(boxes: list[Box]) -> list[Box]:
    """Boxes joined until no two are near each other (a joined box may reach one more)."""
    out: list[Box] = []
    for box in boxes:
        while (hit := next((i for i, o in enumerate(out) if _near(box, o)), None)) is not None:
            box = _join(box, out.pop(hit))
        out.append(box)
    return out


def clusters(boxes: list[Box], window_pixels: int) -> list[Box]:
    """The boxes to redraw for these changes: their union, or up to MAX_BOXES apart where drawing
    the canvas once more costs less than the pixels between them."""
    whole = union(boxes)
    if whole is None:
        return []
    if len(boxes) == 1 or area(whole) <= PASS_SHARE * window_pixels:
        return [whole]  # small already: another pass would cost more than it saves
    groups = _merge_near(boxes)
    while len(groups) > MAX_BOXES:  # join the two whose joint box adds the fewest pixels
        _, i, j = min(
            (area(_join(a, b)) - area(a) - area(b), i, j)
            for i, a in enumerate(groups)
            for j, b in enumerate(groups)
            if i < j
        )
        rest = [g for n, g in enumerate(groups) if n not in (i, j)]
        groups = _merge_near([*rest, _join(groups[i], groups[j])])
    apart = sum(area(g) for g in groups) + PASS_SHARE * window_pixels * (len(groups) - 1)
    return groups if apart < area(whole) else [whole]


def union(boxes: list[Box]) -> Box | None:
    return functools.reduce(_join, boxes) if boxes else None


@dataclass
class DamageTracker:
    """What changed between two frames of a canvas, as boxes in window pixels."""

    skip_ids: frozenset[int] = frozenset()  # instructions of our own (the frame's scissor) left out
    reason: str = ""  # why the last frame must be drawn whole
    _last: list[Record] | None = None
    _last_size: tuple[int, int] | None = None
    _keep: list[Any] = field(default_factory=list)  # last frame's textures, so no id is reused

    def leave_out(self, *instructions: Any) -> None:
        self.skip_ids = frozenset(id(i) for i in instructions)

    def damage(self, canvas: Any, size: tuple[int, int]) -> list[Box] | bool | None:
        """The boxes of the shapes that changed; None when nothing visible changed; True for the
        whole window."""
        keep: list[Any] = []
        try:
            records = list(self._walk(canvas, _State(), keep))
        except Untracked as e:
            self._last = None
            self.reason = f"untracked: {e}"
            return True
        last, self._last, self._keep = self._last, records, keep
        if last is None or size != self._last_size:
            self._last_size = size
            self.reason = "first frame or new window size"
            return True
        if records == last:
            return None
        before, after = Counter(last), Counter(records)
        changed = list((before - after).elements()) + list((after - before).elements())
        if not changed:
            self.reason = "the same shapes drawn in another order"
            return True
        boxes = [r[-1] for r in changed if r[-1] is not None and area(r[-1]) > 0]
        return boxes or None  # only shapes that draw nothing (clipped away, no points) changed

    def _walk(self, group: Any, state: _State, keep: list[Any]) -> Iterator[Record]:
        k = _kinds()
        for ins in group.children:
            if id(ins) in self.skip_ids:
                continue
            kind = type(ins)
            if kind is k.Color:
                state.rgba = tuple(ins.rgba)
            elif kind in k.shapes:
                record = self._shape(ins, kind, state, keep)
                if record is not None:
                    yield record
            elif kind is k.BindTexture:
                continue  # each textured shape names its own texture
            elif isinstance(ins, k.Canvas):  # a widget's canvas: its opacity applies inside it only
                outer = state.opacity
                state.opacity = outer * ins.opacity
                yield from self._walk(ins, state, keep)
                state.opacity = outer
            elif isinstance(ins, k.InstructionGroup):  # canvas.before/after, plain groups
                yield from self._walk(ins, state, keep)
            elif kind in k.outlines:
                yield self._points(ins, kind, state, keep)
            else:
                _context(ins, kind, state, k)

    def _shape(self, ins: Any, kind: Any, state: _State, keep: list[Any]) -> Record | None:
        k = _kinds()
        (x, y), (w, h) = ins.pos, ins.size
        x, y = x + state.dx, y + state.dy
        box = _intersect(_box([x, x + w], [y, y + h]), state.clip)
        if box is None or state.rgba[3] * state.opacity == 0:
            return None  # clipped away or transparent: draws nothing
        shape: tuple[Any, ...] = (x, y, w, h)
        if kind is k.RoundedRectangle:
            shape += (tuple(map(tuple, ins.radius)), ins.segments)
        elif kind is k.BorderImage:
            shape += (tuple(ins.border),)
        elif kind is k.Ellipse:
            shape += (ins.angle_start, ins.angle_end, ins.segments)
        return (kind.__name__, shape, state.rgba, state.opacity, state.clip, self._texture(ins, keep), box)

    def _texture(self, ins: Any, keep: list[Any]) -> tuple[Any, ...] | None:
        tex = ins.texture
        if tex is None:
            return None
        keep.append(tex)
        return (id(tex), _texture_versions.get(id(tex), 0), tuple(ins.tex_coords))

    def _points(self, ins: Any, kind: Any, state: _State, keep: list[Any]) -> Record:
        k = _kinds()
        pts = list(ins.points)
        xs, ys = pts[0::2], pts[1::2]
        shape: tuple[Any, ...] = (tuple(pts),)
        grow = 0.0
        if kind is k.Line:
            grow = ins.width + 1
            shape += (ins.width, ins.close, ins.cap, ins.joint, ins.dash_length, ins.dash_offset)
        elif kind is k.Point:
            grow = ins.pointsize + 1
            shape += (ins.pointsize,)
        if not xs:
            return (kind.__name__, shape, None)  # draws nothing, but keeps its place in the order
        xs = [v + state.dx for v in xs]
        ys = [v + state.dy for v in ys]
        box = _intersect(_box(xs, ys, grow), state.clip) or (0, 0, 0, 0)
        return (
            kind.__name__,
            shape,
            state.dx,
            state.dy,
            state.rgba,
            state.opacity,
            state.clip,
            self._texture(ins, keep),
            box,
        )


def _context(ins: Any, kind: Any, state: _State, k: Any) -> None:
    """A matrix or scissor instruction: the translation and clip of what follows.

    Pushes often sit in a canvas.before and their pops in its canvas.after (a RelativeLayout, the
    kiosk's ScissorClip), so the stacks live in the state, across the whole walk."""
    if kind is k.PushMatrix:
        state.matrices.append((state.dx, state.dy))
    elif kind is k.PopMatrix:
        if not state.matrices:
            raise Untracked("PopMatrix without a push")
        state.dx, state.dy = state.matrices.pop()
    elif kind is k.Translate:
        if ins.z:
            raise Untracked("3-D translation")
        state.dx += ins.x
        state.dy += ins.y
    elif kind in (k.Scale, k.Rotate):
        if (kind is k.Scale and (ins.x, ins.y) != (1, 1)) or (kind is k.Rotate and ins.angle % 360):
            raise Untracked("scaled or rotated")
    elif kind is k.ScissorPush:
        state.clips.append(state.clip)
        (x, y), (w, h) = ins.pos, ins.size
        new = _intersect((int(x), int(y), int(x + w), int(y + h)), state.clip)
        state.clip = new if new is not None else (0, 0, 0, 0)
    elif kind is k.ScissorPop:
        if not state.clips:
            raise Untracked("ScissorPop without a push")
        state.clip = state.clips.pop()
    else:
        raise Untracked(kind.__name__)  # a stencil, a callback, a shader of its own, a new shape


_kinds_made: list[Any] = []


def _kinds() -> Any:
    """Kivy's instruction classes, imported once the window exists (not at import: no Kivy here
    until the UI runs)."""
    if not _kinds_made:
        from types import SimpleNamespace

        from kivy import graphics as g
        from kivy.graphics import instructions

        k = SimpleNamespace(Canvas=instructions.Canvas, InstructionGroup=instructions.InstructionGroup)
        for name in [
            "BindTexture", "BorderImage", "Color", "Ellipse", "Line", "Point", "PopMatrix",
            "PushMatrix", "Quad", "Rectangle", "RoundedRectangle", "Rotate", "Scale", "ScissorPop",
            "ScissorPush", "Translate", "Triangle",
        ]:  # fmt: skip
            setattr(k, name, getattr(g, name))
        k.shapes = (k.Rectangle, k.BorderImage, k.Ellipse, k.RoundedRectangle)
        # A Mesh (its own vertex format and modes) is not among them: it draws the window whole.
        k.outlines = (k.Line, k.Triangle, k.Quad, k.Point)
        _kinds_made.append(k)
    return _kinds_made[0]


def software_renderer() -> bool:
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    name = glGetString(GL_RENDERER)
    text = name.decode("ascii", "replace") if isinstance(name, bytes) else str(name)
    return any(s in text.lower() for s in SOFTWARE_RENDERERS)


@dataclass
class Counts:
    full: int = 0
    partial: int = 0
    unchanged: int = 0
    pixels: int = 0  # pixels redrawn in partial frames
    boxes: int = 0  # scissored passes in partial frames
    tracking_s: float = 0.0  # time spent finding the damage, all frames
    tracking_max_s: float = 0.0
    why_whole: Counter[str] = field(default_factory=Counter)

    def as_dict(self, window_pixels: int) -> dict[str, Any]:
        frames = self.full + self.partial + self.unchanged
        return {
            "frames": frames,
            "whole": self.full,
            "partial": self.partial,
            "unchanged": self.unchanged,
            "partial_share_of_window": round(self.pixels / max(1, self.partial) / max(1, window_pixels), 3),
            "boxes_per_partial": round(self.boxes / max(1, self.partial), 2),
            "tracking_ms_mean": round(1000 * self.tracking_s / max(1, frames), 2),
            "tracking_ms_max": round(1000 * self.tracking_max_s, 2),
            "why_whole": dict(self.why_whole.most_common()),
        }


class PartialRedraw:
    """Clear and draw each frame only inside what changed (see the module's notes)."""

    def __init__(self) -> None:
        self.enabled = False
        self.counts = Counts()
        # The last frame's scissors: [] when nothing changed, the whole window when drawn whole.
        self.last_boxes: list[Box] | None = None
        self._force_full = False
        self._clear_colour: tuple[float, ...] | None = None
        self._push: Any = None
        self._clear: Callable[[], None] = lambda: None
        self.tracker = DamageTracker()

    def install(self, clear_colour: Callable[[], None]) -> None:
        """Take over the window's on_draw: choose the frame's boxes, then clear and draw each."""
        from kivy.core.window import Window
        from kivy.graphics import ScissorPop, ScissorPush

        wanted = os.environ.get("KIOSK_REDRAW", "").strip().lower()
        self.enabled = wanted == "partial" or (wanted != "full" and software_renderer())
        self._clear = clear_colour
        if not self.enabled:
            Window.clear = clear_colour
            return
        # The frame's scissor at the root of the window's canvas: the kiosk's own clips push and pop
        # inside it (a ScissorPop with nothing left beneath would switch scissoring off).
        self._push = ScissorPush(x=0, y=0, width=Window.width, height=Window.height)
        pop = ScissorPop()
        Window.canvas.before.insert(0, self._push)
        Window.canvas.after.add(pop)
        self.tracker.leave_out(self._push, pop)

        def on_draw() -> None:
            colour = tuple(Window.clearcolor)
            if colour != self._clear_colour:  # the background is not in the canvas
                self._clear_colour = colour
                self._force_full = True
            boxes = self._frame_boxes(Window.canvas, (int(Window.width), int(Window.height)))
            self.last_boxes = boxes
            # With nothing changed the canvas is still drawn, scissored to nothing, so that Kivy
            # marks it drawn (else it would ask for this frame again at once).
            for box in boxes or [(0, 0, 0, 0)]:
                self._draw(Window, box)

        Window.on_draw = on_draw

    def draw_whole(self) -> None:
        """Clear and draw the whole window now, whatever changed (a check's reference frame)."""
        from kivy.core.window import Window

        self._draw(Window, (0, 0, int(Window.width), int(Window.height)))

    def redraw_whole_next(self) -> None:
        self._force_full = True

    def _draw(self, window: Any, box: Box) -> None:
        from kivy.graphics import opengl as gl

        x0, y0, x1, y1 = box
        if self._push is not None:
            self._push.pos = (x0, y0)
            self._push.size = (x1 - x0, y1 - y0)
        gl.glEnable(gl.GL_SCISSOR_TEST)
        gl.glScissor(x0, y0, x1 - x0, y1 - y0)
        self._clear()
        window.render_context.draw()

    def _frame_boxes(self, canvas: Any, size: tuple[int, int]) -> list[Box]:
        whole = (0, 0, size[0], size[1])
        pixels = size[0] * size[1]
        t0 = time.perf_counter()
        damage = self.tracker.damage(canvas, size)  # walked even when drawn whole: the next frame's base
        if self._force_full:
            self._force_full = False
            damage, self.tracker.reason = True, "asked for (background colour, a check)"
        boxes: list[Box] = []
        if isinstance(damage, list):
            boxes = clusters([b for d in damage if (b := _intersect(d, whole)) is not None], pixels)
        spent = time.perf_counter() - t0
        self.counts.tracking_s += spent
        self.counts.tracking_max_s = max(self.counts.tracking_max_s, spent)
        if damage is True:
            self.counts.full += 1
            self.counts.why_whole[self.tracker.reason] += 1
            return [whole]
        if not boxes:
            self.counts.unchanged += 1
            return []
        drawn = sum(area(b) for b in boxes)
        if drawn > FULL_SHARE * pixels:
            self.counts.full += 1
            self.counts.why_whole[f"changed over {FULL_SHARE:.0%} of the window"] += 1
            return [whole]
        self.counts.partial += 1
        self.counts.boxes += len(boxes)
        self.counts.pixels += drawn
        return boxes
