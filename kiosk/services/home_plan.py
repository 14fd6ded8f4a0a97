"""What the home screen shows and where: categories with their picture and colour, and a layout
that keeps each category's label with its services (Kivy-free, so it is tested without a display).

`plan_one_screen` packs whole categories into rows — a category never starts at the end of one row
and continues on the next — and sizes the buttons to fill the area; when they would come out smaller
than a finger and two lines of text need, it answers None and the home screen goes by category
(`plan_tiles`, then `plan_one_screen` for one category's services).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config.schema import SHIPPED_ICONS, HallConfig, Service, hex_contrast, white_text_contrast

ICONS = Path(__file__).resolve().parents[2] / "assets" / "icons"

# The usual categories of a 社区便民服务中心: a word of the name → (icon, colour). Every colour
# carries white text at 4.5:1 or better (tests check it).
USUAL: tuple[tuple[str, str, str], ...] = (
    ("社保", "social_insurance", "#1C5BA8"),
    ("医保", "social_insurance", "#1C5BA8"),
    ("民政", "civil_affairs", "#A8323E"),
    ("救助", "civil_affairs", "#A8323E"),
    ("卫健", "health", "#187254"),
    ("计生", "health", "#187254"),
    ("残", "disability", "#5E4391"),
    ("户籍", "household", "#7A5300"),
    ("户口", "household", "#7A5300"),
    ("党群", "party_veterans", "#A5231A"),
    ("退役", "party_veterans", "#A5231A"),
    ("就业", "employment", "#3F6320"),
    ("创业", "employment", "#3F6320"),
    ("养老", "elderly", "#8A4026"),
    ("老龄", "elderly", "#8A4026"),
    ("法律", "legal", "#3C4A5C"),
    ("司法", "legal", "#3C4A5C"),
    ("综合", "general", "#0B6478"),
    ("咨询", "consult", "#8B3E00"),
)
SPARE_COLOURS = ("#2E5E8C", "#6B3D7A", "#40645A", "#7D4B2A", "#50556B", "#7A2F55")
FIRST_ASK_COLOUR = "#8B3E00"


def icon_file(icon: str) -> str:
    """The PNG of an icon as configured: a shipped name, or a file the loader made absolute."""
    return str(ICONS / f"{icon}.png") if icon in SHIPPED_ICONS else icon


def service_icon(service: Service) -> str:
    """The picture on a service's button: its own, or none (its category's is on the heading)."""
    return icon_file(service.icon) if service.icon else ""


def rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (r, g, b, alpha)


def tint(hex_colour: str, amount: float = 0.12) -> tuple[float, float, float, float]:
    """The colour laid thinly over white: a section's background."""
    r, g, b, _ = rgba(hex_colour)
    return (1 - amount * (1 - r), 1 - amount * (1 - g), 1 - amount * (1 - b), 1.0)


@dataclass(frozen=True)
class Group:
    """One category as residents see it."""

    name: str
    icon: str
    colour: str  # #RRGGBB, white text readable on it
    services: tuple[Service, ...] = field(default=())

    @property
    def icon_path(self) -> str:
        return icon_file(self.icon)


def look_for(config: HallConfig, category: str, index: int = 0) -> tuple[str, str]:
    """(icon, colour) of a category: as configured, else the usual look for its name, else spare."""
    icon = colour = ""
    for look in config.home.categories:
        if look.name == category:
            icon, colour = look.icon, look.colour
    for word, usual_icon, usual_colour in USUAL:
        if word in category:
            icon = icon or usual_icon
            colour = colour or usual_colour
            break
    return icon or "generic", colour or SPARE_COLOURS[index % len(SPARE_COLOURS)]


def groups(config: HallConfig) -> list[Group]:
    """The categories in the order their first service is listed, without the 首问 service."""
    first_ask = config.home.first_ask.service if config.home.first_ask else None
    by_name: dict[str, list[Service]] = {}
    for svc in config.services:
        if svc.code != first_ask:
            by_name.setdefault(svc.category, []).append(svc)
    out = []
    for i, (name, services) in enumerate(by_name.items()):
        icon, colour = look_for(config, name, i)
        out.append(Group(name, icon, colour, tuple(services)))
    return out


def on_dark(hex_colour: str, background: str, needed: float = 3.0) -> str:
    """The category colour lightened (mixed with white, its hue kept) until it stands out from a
    dark `background` at `needed`:1 — WCAG's 3:1 for a graphical object such as the call board's
    category stripes, on which the kiosk's own colour (dark enough for white text) is too faint."""
    r, g, b, _ = rgba(hex_colour)
    for step in range(21):
        t = step / 20
        mixed = "#" + "".join(f"{round(255 * (c + (1 - c) * t)):02X}" for c in (r, g, b))
        if hex_contrast(mixed, background) >= needed:
            return mixed
    return "#FFFFFF"


def service_colour(config: HallConfig, code: str) -> str:
    """The colour of a service's category (the ticket screen and the board use it too)."""
    if config.home.first_ask and config.home.first_ask.service == code:
        return FIRST_ASK_COLOUR
    for g in groups(config):
        if any(s.code == code for s in g.services):
            return g.colour
    return SPARE_COLOURS[0]


def colours_readable(config: HallConfig) -> list[tuple[str, float]]:
    """Every category colour with the contrast of white text on it."""
    return [(g.colour, white_text_contrast(g.colour)) for g in groups(config)]


# ---- geometry -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    x: float
    y: float  # from the top of the area, growing down (the screen converts)
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True)
class SectionPlan:
    group: int
    frame: Box
    heading: Box
    buttons: tuple[Box, ...]


@dataclass(frozen=True)
class Plan:
    sections: tuple[SectionPlan, ...]
    height: float


@dataclass(frozen=True)
class Metrics:
    """Sizes at a scale (1 normal, 1.3 长者模式): a button holds a two-line name and the wait line."""

    scale: float = 1.0
    gap: float = 14
    pad: float = 10
    min_target: float = 55  # 20 mm at the kiosk's size (theme.PX_PER_MM)

    @property
    def heading(self) -> float:
        return round(54 * self.scale)

    @property
    def min_button_h(self) -> float:
        return max(self.min_target, round(112 * self.scale))

    @property
    def max_button_h(self) -> float:
        return round(230 * self.scale)  # a small hall's few buttons grow, but stay buttons

    @property
    def min_button_w(self) -> float:
        return max(self.min_target, round(250 * self.scale))


def columns(width: float, m: Metrics) -> int:
    return max(1, int((width + m.gap) // (m.min_button_w + 2 * m.pad + m.gap)))


def plan_one_screen(
    sizes: list[int], width: float, height: float, m: Metrics, *, fit: bool = True
) -> Plan | None:
    """Whole categories packed into rows of `columns()`; None if `fit` and the buttons come out too small.

    With `fit` False the buttons get their smallest readable height and the plan may be taller
    than `height` (the screen scrolls).
    """
    cols = columns(width, m)
    rows: list[list[int]] = []  # group indexes per row
    used = cols
    for i, n in enumerate(sizes):
        span = min(n, cols)
        if used + span > cols:
            rows.append([])
            used = 0
        rows[-1].append(i)
        used += span
    # Button rows per row of sections: the tallest section sets the row's height.
    depth = [max(math.ceil(sizes[i] / min(sizes[i], cols)) for i in row) for row in rows]
    fixed = sum(2 * m.pad + m.heading + (d - 1) * m.gap for d in depth) + (len(rows) - 1) * m.gap
    button_h = (height - fixed) / max(1, sum(depth))
    if button_h < m.min_button_h:
        if fit:
            return None
        button_h = m.min_button_h
    button_h = min(button_h, m.max_button_h)
    sections = []
    y = 0.0
    for row, d in zip(rows, depth, strict=True):
        spans = [min(sizes[i], cols) for i in row]
        # The row's sections share its whole width in proportion to their columns.
        unit = (width - (len(row) - 1) * m.gap) / sum(spans)
        row_h = 2 * m.pad + m.heading + d * button_h + (d - 1) * m.gap
        x = 0.0
        for i, span in zip(row, spans, strict=True):
            w = unit * span
            frame = Box(x, y, w, row_h)
            heading = Box(x + m.pad, y + m.pad, w - 2 * m.pad, m.heading)
            bw = (w - 2 * m.pad - (span - 1) * m.gap) / span
            buttons = []
            for k in range(sizes[i]):
                r, c = divmod(k, span)
                bx = x + m.pad + c * (bw + m.gap)
                by = y + m.pad + m.heading + r * (button_h + m.gap)
                buttons.append(Box(bx, by, bw, button_h))
            sections.append(SectionPlan(i, frame, heading, tuple(buttons)))
            x += w + m.gap
        y += row_h + m.gap
    return Plan(tuple(sections), y - m.gap)


def tint_pieces(section: SectionPlan) -> tuple[Box, ...]:
    """The section's tint as the rectangles around its buttons, not under them, so a software
    renderer paints no pixel of the section twice (what that saves is measured in docs/kiosk-ui.md)."""
    f = section.frame
    rows: dict[float, list[Box]] = {}
    for b in section.buttons:
        rows.setdefault(b.y, []).append(b)
    pieces = []
    top = f.y
    for y in sorted(rows):
        row = sorted(rows[y], key=lambda b: b.x)
        h = row[0].h
        if y > top:  # the heading band above the first row, or the gap between two rows
            pieces.append(Box(f.x, top, f.w, y - top))
        left = f.x
        for b in row:
            if b.x > left:
                pieces.append(Box(left, y, b.x - left, h))
            left = b.x + b.w
        if f.x + f.w > left:
            pieces.append(Box(left, y, f.x + f.w - left, h))
        top = y + h
    if f.y + f.h > top:
        pieces.append(Box(f.x, top, f.w, f.y + f.h - top))
    return tuple(pieces)


def plan_tiles(count: int, width: float, height: float, m: Metrics) -> tuple[Box, ...]:
    """The category tiles of the first step: as large as the area allows, never below a button."""
    cols = max(1, min(columns(width, m), 3 if count > 4 else 2))
    rows = math.ceil(count / cols)
    tile_w = (width - (cols - 1) * m.gap) / cols
    tile_h = min(round(260 * m.scale), max(m.min_button_h, (height - (rows - 1) * m.gap) / rows))
    return tuple(
        Box((k % cols) * (tile_w + m.gap), (k // cols) * (tile_h + m.gap), tile_w, tile_h)
        for k in range(count)
    )


def choose_two_step(config: HallConfig, width: float, height: float, m: Metrics) -> bool:
    mode = config.home.layout
    if mode != "auto":
        return mode == "two_step"
    sizes = [len(g.services) for g in groups(config)]
    return plan_one_screen(sizes, width, height, m) is None


def balanced(name: str, per_line: float) -> str:
    """A name too long for one line, broken into two lines of nearly equal length (never a lone
    last character: 「城乡居民养老保险参保登/记」 becomes 「城乡居民养老/保险参保登记」)."""
    if len(name) <= per_line or len(name) < 4 or "\n" in name:
        return name
    cut = math.ceil(len(name) / 2)
    for sep in "（(·、 ":  # a bracket or a separator near the middle is the better place
        at = name.find(sep, max(1, cut - 3), cut + 3)
        if at > 0:
            cut = at
            break
    return f"{name[:cut]}\n{name[cut:]}"


def name_fit(name: str, width: float, size: float, smallest: float = 0.75) -> tuple[str, int]:
    """A name for a box `width` px wide at `size` px: on one line, shrunk a little if need be (to
    `smallest` of the size at most), else on two balanced lines shrunk until the longer one fits.
    A CJK character is about as wide as the font is high."""
    if len(name) * size <= width or "\n" in name:
        return name, int(size)
    if width / len(name) >= size * smallest:
        return name, int(width / len(name))
    text = balanced(name, width / size)
    longest = max(len(line) for line in text.split("\n"))
    return text, int(max(size * smallest, min(size, width / max(1, longest))))
