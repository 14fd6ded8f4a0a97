"""Sizes and colours. Pixel sizes are for a 1920×1080 or 1080×1920 hall screen seen from a metre away;
长者模式 multiplies every font size by `ELDER_SCALE`."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty

from kiosk.ui.palette import (  # noqa: F401  (the screens' rules read the colours as T.NAME)
    BG,
    CALL_WORD,
    DISABLED,
    DISABLED_TEXT,
    GREEN,
    GREEN_DOWN,
    MIN_TARGET_PX,
    MODAL_SCRIM,
    MUTED,
    ON_BANNER,
    ON_BAR,
    ON_BAR_FAINT,
    ORANGE,
    OVERLAY,
    OVERLAY_NOTE,
    PANEL,
    PRIMARY,
    PRIMARY_DOWN,
    RED,
    SCRIM,
    TEXT,
    TICKER,
    TOPBAR,
    WHITE,
)

ELDER_SCALE = 1.3


class Theme(EventDispatcher):
    """Bound from KV (`font_size: 32 * app.theme.scale`) so 长者模式 resizes everything at once."""

    elder = BooleanProperty(False)
    scale = NumericProperty(1.0)
    portrait = BooleanProperty(False)

    def on_elder(self, _inst: object, value: bool) -> None:
        self.scale = ELDER_SCALE if value else 1.0
