"""Geometry of a period's daily trend: bars of tickets issued per day, and the day's 满意率 as a line
(inline SVG drawn by ``templates/report.html``; no script, printable, readable on a phone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sync.contract.figures import Figures

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 34


@dataclass
class TrendBar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass
class TrendChart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[TrendBar] = field(default_factory=list)
    line: str = ""
    """The 满意率 polyline's points ("x,y x,y …"), days without ratings left out."""
    dots: list[tuple[float, float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_left: list[tuple[float, str]] = field(default_factory=list)
    y_right: list[tuple[float, str]] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.bars


def _nice(value: int) -> int:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000):
        if value <= step:
            return step
    return value


def trend_chart(days: list[tuple[dt.date, Figures]]) -> TrendChart:
    chart = TrendChart()
    if not days:
        return chart
    top = _nice(max(f.issued for _, f in days))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)
    points = []
    every = max(1, len(days) // 12)  # at most about twelve date labels
    for i, (day, f) in enumerate(days):
        h = plot_h * f.issued / top
        x = LEFT + i * slot
        sat = "—" if f.satisfaction_rate is None else f"{f.satisfaction_rate * 100:.1f}%"
        chart.bars.append(
            TrendBar(round(x + slot * 0.15, 1), round(TOP + plot_h - h, 1), round(slot * 0.7, 1), round(h, 1),
                     f"{day:%m-%d} 取号 {f.issued} · 办结 {f.finished} · 满意率 {sat}")
        )  # fmt: skip
        if f.satisfaction_rate is not None:
            # the right axis runs from 80 % to 100 %: the street's 满意率 lives there
            y = TOP + plot_h * (1 - max(0.0, f.satisfaction_rate - 0.8) / 0.2)
            points.append((round(x + slot / 2, 1), round(y, 1), sat))
        if i % every == 0:
            chart.x_labels.append((round(x + slot / 2, 1), f"{day.month}/{day.day}"))
    chart.line = " ".join(f"{x},{y}" for x, y, _ in points)
    chart.dots = points
    for k in range(5):
        y = round(TOP + plot_h * (1 - k / 4), 1)
        chart.y_left.append((y, str(top * k // 4)))
        chart.y_right.append((y, f"{80 + 5 * k}%"))
    return chart
