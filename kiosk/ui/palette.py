"""The kiosk's colours and physical sizes, Kivy-free so tests check them without a display.

Every text colour is listed in `TEXT_ON` with the backgrounds it is drawn on; tests/ui/test_contrast.py
holds each pair to WCAG 2.x AA (4.5:1, or 3:1 for large text: 24 px, or 19 px bold).
"""

from __future__ import annotations

Colour = tuple[float, float, float, float]

# A calm government-hall blue, a green for the 绿色通道, a red for faults only. GREEN and ORANGE
# are dark enough for white subtitles at 22 px (4.5:1).
BG: Colour = (0.95, 0.96, 0.98, 1)
PANEL: Colour = (1, 1, 1, 1)
TOPBAR: Colour = (0.09, 0.27, 0.55, 1)
PRIMARY: Colour = (0.12, 0.37, 0.72, 1)
PRIMARY_DOWN: Colour = (0.07, 0.25, 0.52, 1)
GREEN: Colour = (0.10, 0.47, 0.27, 1)
GREEN_DOWN: Colour = (0.06, 0.35, 0.19, 1)
ORANGE: Colour = (0.70, 0.33, 0.0, 1)
RED: Colour = (0.78, 0.13, 0.13, 1)
TEXT: Colour = (0.10, 0.12, 0.16, 1)
MUTED: Colour = (0.38, 0.42, 0.48, 1)
WHITE: Colour = (1, 1, 1, 1)
TICKER: Colour = (1, 0.9, 0.4, 1)
OVERLAY: Colour = (0.04, 0.16, 0.36, 0.97)
CALL_YELLOW: Colour = (1.0, 0.835, 0.29, 1)  # #FFD54A, the window number on a call
CALL_WORD: Colour = (1, 0.85, 0.35, 1)  # 叫号 / 再次呼叫 above a call
OVERLAY_NOTE: Colour = (0.8, 0.86, 0.95, 1)  # the latest calls and the hint on a full-screen call
ON_BAR: Colour = (1, 1, 1, 0.18)  # a button on the top bar: the bar lightened
ON_BAR_FAINT: Colour = (1, 1, 1, 0.12)  # 工作人员 on the ticker bar, there for staff only
ON_BANNER: Colour = (0, 0, 0, 0.25)  # 取消 on a mode banner: the banner darkened
SCRIM: Colour = (0, 0, 0, 0.45)  # behind a sheet over the staff screen
MODAL_SCRIM: Colour = (0, 0, 0, 0.55)  # behind the 绿色通道 picker
# A button that cannot be pressed now still says why (「今日号源已取完」), so its words stay readable:
# dark on a light grey, unlike every pressable button's white on a colour.
DISABLED: Colour = (0.80, 0.81, 0.84, 1)
DISABLED_TEXT: Colour = (0.25, 0.27, 0.31, 1)

PX_PER_MM = 2.75
"""A 1920×1080 (or 1080×1920) panel of 32 inches, the usual floor-standing 取号机: 698 mm / 1920 px.
A smaller panel makes every millimetre more pixels, so 20 mm here is 20 mm or more there."""
MIN_TARGET_MM = 20
MIN_TARGET_PX = round(MIN_TARGET_MM * PX_PER_MM)


def luminance(c: Colour) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])


def over(top: Colour, under: Colour) -> Colour:
    """`top` with its alpha laid over an opaque `under`."""
    a = top[3]
    return (*(a * t + (1 - a) * u for t, u in zip(top[:3], under[:3], strict=True)), 1.0)  # type: ignore[return-value]


def contrast(text: Colour, background: Colour) -> float:
    """WCAG 2.x contrast ratio (1–21) of opaque text on an opaque background."""
    a, b = sorted((luminance(text), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


TEXT_ON: tuple[tuple[str, Colour, Colour, bool], ...] = (
    # (where, text, background, large text)
    ("body text on the page", TEXT, BG, False),
    ("body text on a card", TEXT, PANEL, False),
    ("muted notes on a card", MUTED, PANEL, False),
    ("muted notes on the page", MUTED, BG, False),
    ("headings on a card", PRIMARY, PANEL, False),
    ("button labels", WHITE, PRIMARY, False),
    ("pressed button labels", WHITE, PRIMARY_DOWN, False),
    ("绿色通道 button and banner", WHITE, GREEN, False),
    ("长者模式 on, guide banner", WHITE, ORANGE, False),
    ("faults", WHITE, RED, False),
    ("fault headings on a card", RED, PANEL, False),
    ("top bar", WHITE, TOPBAR, False),
    ("ticker", TICKER, TOPBAR, False),
    ("call overlay", WHITE, OVERLAY, True),
    ("call overlay window number", CALL_YELLOW, OVERLAY, True),
    ("muted button labels", WHITE, MUTED, False),
    ("a button that cannot be pressed now", DISABLED_TEXT, DISABLED, False),
    ("叫号 on a call", CALL_WORD, OVERLAY, True),
    ("notes on a full-screen call", OVERLAY_NOTE, OVERLAY, False),
    ("a button on the top bar", WHITE, over(ON_BAR, TOPBAR), False),
    ("工作人员 on the ticker bar", WHITE, over(ON_BAR_FAINT, TOPBAR), False),
    ("取消 on the 绿色通道 banner", WHITE, over(ON_BANNER, GREEN), False),
    ("取消 on the 办事指南 banner", WHITE, over(ON_BANNER, ORANGE), False),
)
