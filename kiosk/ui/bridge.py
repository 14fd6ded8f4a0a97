"""The one way results reach the Kivy thread.

Work that touches a device, the database or the network runs on a worker (the runtime's own threads,
or the small `io` pool here for reads); results come back with `Clock.schedule_once`, so no widget is
ever touched from another thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from kivy.clock import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")

AFTER_TEXTS_S = 0.02
"""Two frames at the kiosk's 120 frames a second; the resident sees the new screen this much later."""

_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="ui-io")
_main_thread = threading.main_thread()


def on_ui(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `fn` on the Kivy thread at the next frame (safe to call from any thread)."""
    Clock.schedule_once(lambda _dt: fn(*args, **kwargs))


def after_texts(fn: Callable[..., Any], *args: Any) -> None:
    """Run `fn` on the Kivy thread a couple of frames from now.

    Labels whose text was just set render their textures at the next clock tick. Showing them a
    little later (switching to their screen, attaching their overlay) puts that rendering and the
    repaint of the newly shown screen in different frames, instead of one long frame with both.
    (A zero delay would not do: Kivy runs callbacks scheduled during a tick within that same tick.)
    """
    Clock.schedule_once(lambda _dt: fn(*args), AFTER_TEXTS_S)


def when_done(
    fut: Future[T],
    then: Callable[[T], Any],
    failed: Callable[[BaseException], Any] | None = None,
) -> None:
    """When `fut` finishes (on whatever thread), call `then(result)` or `failed(exc)` on the Kivy thread."""

    def deliver(f: Future[T]) -> None:
        exc = f.exception()
        if exc is None:
            on_ui(then, f.result())
        elif failed is not None:
            on_ui(failed, exc)
        else:
            log.error("background task failed", exc_info=exc)

    fut.add_done_callback(deliver)


def background(
    fn: Callable[..., T],
    *args: Any,
    then: Callable[[T], Any] | None = None,
    failed: Callable[[BaseException], Any] | None = None,
) -> Future[T]:
    """Run a blocking read (database, PBKDF2) off the Kivy thread; deliver its result on it."""
    fut = _pool.submit(fn, *args)
    if then is not None or failed is not None:
        when_done(fut, then or (lambda _r: None), failed)
    return fut


def assert_ui_thread() -> None:
    if threading.current_thread() is not _main_thread:
        raise RuntimeError("widgets may only be touched on the Kivy thread")
