"""Geometry of the summary pages' inline SVG charts (no scripts, no external files, printable).

Only numbers and labels are computed here; ``templates/charts.html`` draws them, escaped by Jinja."""

from __future__ import annotations

from dataclasses import dataclass, field

FONT = "'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif"
BAR = "#3b7dd8"
LINE = "#d9822b"
GOOD = "#2e8b57"
WARN = "#d9822b"
BAD = "#c0392b"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step * 5:
            return float(step * 5)
    return float(value)


@dataclass
class Grid:
    y: float
    left: str
    right: str = ""


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    label: str = ""
    label_x: float = 0.0


@dataclass
class Point:
    x: float
    y: float
    title: str


@dataclass
class HourlyChart:
    """Bars: tickets issued per hour (left axis). Line: mean wait in minutes of those tickets (right)."""

    title: str
    width: int
    height: int
    left: int
    plot_width: float
    axis_y: float
    grid: list[Grid] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def hourly_chart(
    arrivals: dict[int, int], waits: dict[int, float], title: str, width: int = 640, height: int = 260
) -> HourlyChart:
    hours = list(range(8, 19))
    left, right, top, bottom = 48, 48, 34, 36
    pw, ph = width - left - right, height - top - bottom
    amax = _nice_max(max((arrivals.get(h, 0) for h in hours), default=0))
    wmax = _nice_max(max((waits.get(h, 0.0) for h in hours), default=0.0))
    slot = pw / len(hours)
    chart = HourlyChart(title, width, height, left, pw, top + ph)
    for i in range(6):
        chart.grid.append(Grid(top + ph - ph * i / 5, f"{amax * i / 5:g}", f"{wmax * i / 5:g}"))
    for i, h in enumerate(hours):
        x = left + slot * i
        n = arrivals.get(h, 0)
        bh = ph * n / amax
        chart.bars.append(
            Bar(x + slot * 0.15, top + ph - bh, slot * 0.7, bh, f"{h}:00 取号 {n}", f"{h}时", x + slot / 2)
        )
        if h in waits:
            chart.points.append(
                Point(x + slot / 2, top + ph - ph * waits[h] / wmax, f"{h}:00 平均等候 {waits[h]} 分钟")
            )
    return chart


@dataclass
class RateRow:
    y: float
    label: str
    rate: float | None
    note: str
    width: float = 0.0
    colour: str = ""

    @property
    def percent(self) -> str:
        return "" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass
class RateBars:
    """Horizontal bars of a rate (0…1) per label, e.g. satisfaction by window; the note at the bar's end."""

    title: str
    width: int
    height: int
    left: int
    row: int
    ticks: list[tuple[float, int]]
    rows: list[RateRow]


def rate_bars(
    items: list[tuple[str, float | None, str]], title: str, width: int = 640, row: int = 22
) -> RateBars:
    left, right, top = 170, 90, 34
    height = top + row * max(1, len(items)) + 26
    pw = width - left - right
    ticks = [(left + pw * pct / 100, pct) for pct in (0, 25, 50, 75, 100)]
    rows = []
    for i, (label, rate, note) in enumerate(items):
        r = RateRow(top + row * i, label, rate, note)
        if rate is not None:
            r.width = pw * rate
            r.colour = GOOD if rate >= 0.95 else WARN if rate >= 0.85 else BAD
        rows.append(r)
    return RateBars(title, width, height, left, row, ticks, rows)
