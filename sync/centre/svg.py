"""Inline SVG charts for the summary pages: no scripts, no external files, printable."""

from __future__ import annotations

from html import escape

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


def hourly_chart(
    arrivals: dict[int, int], waits: dict[int, float], title: str, width: int = 640, height: int = 260
) -> str:
    """Bars: tickets issued per hour (left axis). Line: mean wait in minutes of those tickets (right)."""
    hours = list(range(8, 19))
    left, right, top, bottom = 48, 48, 34, 36
    pw, ph = width - left - right, height - top - bottom
    amax = _nice_max(max((arrivals.get(h, 0) for h in hours), default=0))
    wmax = _nice_max(max((waits.get(h, 0.0) for h in hours), default=0.0))
    slot = pw / len(hours)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}" font-size="12">',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{width - 250}" y="8" width="12" height="12" fill="{BAR}"/>'
        f'<text x="{width - 234}" y="18">取号数</text>'
        f'<line x1="{width - 180}" y1="14" x2="{width - 164}" y2="14" stroke="{LINE}" stroke-width="3"/>'
        f'<text x="{width - 160}" y="18">平均等候（分钟）</text>',
    ]
    for i in range(6):
        y = top + ph - ph * i / 5
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{amax * i / 5:g}</text>'
        )
        out.append(f'<text x="{left + pw + 6}" y="{y + 4:.1f}" fill="{LINE}">{wmax * i / 5:g}</text>')
    points = []
    for i, h in enumerate(hours):
        x = left + slot * i
        n = arrivals.get(h, 0)
        bh = ph * n / amax
        out.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{top + ph - bh:.1f}" width="{slot * 0.7:.1f}" height="{bh:.1f}" '
            f'fill="{BAR}"><title>{h}:00 取号 {n}</title></rect>'
        )
        out.append(
            f'<text x="{x + slot / 2:.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#555">{h}时</text>'
        )
        if h in waits:
            points.append((x + slot / 2, top + ph - ph * waits[h] / wmax, waits[h], h))
    if points:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
        for px, py, w, h in points:
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{LINE}"><title>{h}:00 平均等候 {w} 分钟</title></circle>'
            )
    out.append("</svg>")
    return "".join(out)


def rate_bars(items: list[tuple[str, float | None, str]], title: str, width: int = 640, row: int = 22) -> str:
    """Horizontal bars of a rate (0…1) per label, e.g. satisfaction by window; ``note`` at the bar's end."""
    left, right, top = 170, 90, 34
    height = top + row * max(1, len(items)) + 26
    pw = width - left - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}" font-size="12">',
        f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for pct in (0, 25, 50, 75, 100):
        x = left + pw * pct / 100
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 22}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#555">{pct}%</text>')
    for i, (label, rate, note) in enumerate(items):
        y = top + row * i
        out.append(f'<text x="{left - 8}" y="{y + row * 0.65:.1f}" text-anchor="end">{escape(label)}</text>')
        if rate is None:
            out.append(f'<text x="{left + 4}" y="{y + row * 0.65:.1f}" fill="#888">无评价</text>')
            continue
        colour = GOOD if rate >= 0.95 else WARN if rate >= 0.85 else BAD
        bw = pw * rate
        out.append(
            f'<rect x="{left}" y="{y + 3}" width="{bw:.1f}" height="{row - 7}" fill="{colour}">'
            f"<title>{escape(label)} {rate * 100:.1f}%</title></rect>"
        )
        out.append(
            f'<text x="{left + bw + 6:.1f}" y="{y + row * 0.65:.1f}">{rate * 100:.1f}% {escape(note)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
