"""Sizes and colours. Pixel sizes are for a 1920×1080 or 1080×1920 hall screen seen from a metre away;
长者模式 multiplies every font size by `ELDER_SCALE`."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty

ELDER_SCALE = 1.3

# Colours (r, g, b, a): a calm government-hall blue, a green for the 绿色通道, a red for faults only.
BG = (0.95, 0.96, 0.98, 1)
PANEL = (1, 1, 1, 1)
TOPBAR = (0.09, 0.27, 0.55, 1)
PRIMARY = (0.12, 0.37, 0.72, 1)
PRIMARY_DOWN = (0.07, 0.25, 0.52, 1)
GREEN = (0.13, 0.55, 0.33, 1)
ORANGE = (0.85, 0.45, 0.05, 1)
RED = (0.78, 0.13, 0.13, 1)
TEXT = (0.10, 0.12, 0.16, 1)
MUTED = (0.38, 0.42, 0.48, 1)
WHITE = (1, 1, 1, 1)
OVERLAY = (0.04, 0.16, 0.36, 0.97)


class Theme(EventDispatcher):
    """Bound from KV (`font_size: 32 * app.theme.scale`) so 长者模式 resizes everything at once."""

    elder = BooleanProperty(False)
    scale = NumericProperty(1.0)
    portrait = BooleanProperty(False)

    def on_elder(self, _inst: object, value: bool) -> None:
        self.scale = ELDER_SCALE if value else 1.0
