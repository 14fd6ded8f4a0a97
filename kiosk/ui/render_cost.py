"""Keep each frame cheap on a software renderer.

Many hall PCs run the kiosk on Mesa's llvmpipe (no GPU driver, or an old integrated one), where
every pixel of every rectangle is shaded on the CPU, and the whole window is redrawn whenever
anything on it changes. Here: nearest texture sampling and a colour-only clear (`install`), the
start-up heap kept out of garbage collection (`freeze_startup_heap`), repaints held while a
ticket is issued (`DrawHold`), and each frame drawn only where it changed
(`kiosk.ui.partial_redraw`). The clipping and hiding widgets are in `kiosk.ui.widgets`.

Sampling a texture with linear filtering is the dearest part of Kivy's default shader: measured on
llvmpipe at 1920×1080, one full-screen layer costs about 11 ms with linear sampling and about 8 ms
with nearest. Kivy's solid rectangles sample a plain white texture, and its labels are drawn at
their texture's own size on whole pixels, so nearest sampling draws exactly the same pixels for
both. Images that are scaled (the QR code, the ticket preview) choose their own filter.
"""

from __future__ import annotations

import gc
import time
from os.path import join
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.ui.partial_redraw import PartialRedraw

NEAREST = "nearest"


def crisp(texture: Any) -> None:
    """Sample `texture` with nearest filtering (for textures drawn 1:1 on whole pixels)."""
    if texture is not None and texture.mag_filter != NEAREST:
        texture.mag_filter = NEAREST
        texture.min_filter = NEAREST


def install(redraw: PartialRedraw) -> None:
    """After the window exists: nearest sampling for the white texture behind every solid shape,
    and for every label's text (bound in widgets.kv: `<Label>: on_texture: crisp(self.texture)`);
    a clear of the colour buffer only, which `redraw` wraps to draw frames only where they changed."""
    from kivy import kivy_shader_dir
    from kivy.cache import Cache
    from kivy.core.window import Window
    from kivy.graphics import opengl as gl

    crisp(Cache.get("kv.texture", join(kivy_shader_dir, "default.png")))

    # Kivy clears the depth and stencil buffers with the colour every frame, another 8 MB written
    # at 1920×1080 (2 ms a frame on llvmpipe). A 2D kiosk never uses depth, and nothing here clips
    # with the stencil (see `ScissorClip`; a UI test checks the whole window for stencil use).
    def clear_colour_only() -> None:
        gl.glClearColor(*Window.clearcolor)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT)

    redraw.install(clear_colour_only)


def freeze_startup_heap() -> None:
    """Keep the objects made at start-up out of every later garbage collection.

    A kiosk holds some 200,000 long-lived objects (widgets, KV bindings, the ORM's mappings), and
    each full collection walked all of them: 65–100 ms with the GIL held, so the screen froze and
    the ticket being printed waited. Frozen, they are never scanned again; what is made later is
    collected as usual. (No collection first: that alone would be one such pause.)
    """
    gc.freeze()


class DrawHold:
    """Hold back the window's repaint for a moment while a ticket is being issued.

    On a software renderer a repaint keeps both CPU cores busy for 15–30 ms, and a ticket's commit
    and print need them at that very moment. Nothing the resident needs changes on screen until
    the outcome is back (the service button shows no pressed look), so the repaint waits: until
    the outcome arrives, and never longer than the hold asked for. The main loop keeps running
    (touches, timers, results); only drawing pauses.
    """

    def __init__(self) -> None:
        self._until = 0.0
        self._skipped = False

    def install(self) -> None:
        from kivy.core.window import Window

        Window.bind(on_draw=self._gate_draw, on_flip=self._gate_flip)

    def hold(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)

    def release(self) -> None:
        self._until = 0.0

    @property
    def holding(self) -> bool:
        return time.monotonic() < self._until

    # A handler that returns True stops Kivy's own on_draw/on_flip, and the canvas stays marked
    # for redraw, so the held frame is drawn on the first loop after the hold.
    def _gate_draw(self, *_args: Any) -> bool:
        self._skipped = self.holding
        return self._skipped

    def _gate_flip(self, *_args: Any) -> bool:
        # Never swap a frame that was not drawn, even if the hold ended in between.
        skipped, self._skipped = self._skipped, False
        return skipped
