"""Offline Mandarin call announcements: recorded segments joined into one clip, played in turn.

`segments_for` says which recordings make up "请 A012 号 到 3 号窗口办理"; a worker thread joins their
frames (the segments are committed WAVs made by scripts/make_voice.py from espeak-ng's Mandarin voice,
so nothing depends on a network). The joined clip is loaded on the worker and played from the Kivy
thread. Without an audio device (Xvfb, a kiosk with its speaker unplugged) the voice goes silent and
says so once in the log; the call board still shows every call.
"""

from __future__ import annotations

import io
import logging
import queue
import tempfile
import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.services.call_words import VOICE_ASSETS as ASSETS
from kiosk.services.call_words import call_text, number_words, segments_for, window_words  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

GAP_S = 0.06
RATE = 16000


class SegmentBank:
    """The recorded segments' PCM frames, read once (on a worker thread)."""

    def __init__(self, folder: Path = ASSETS):
        self.folder = folder
        self._frames: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def frames(self, name: str | Path) -> bytes:
        """A segment by name, or a prompt file by path (spoken_help's, made on the kiosk)."""
        key = str(name)
        with self._lock:
            if key not in self._frames:
                path = name if isinstance(name, Path) else self.folder / f"{name}.wav"
                with wave.open(str(path), "rb") as w:
                    if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != RATE:
                        raise ValueError(f"{name}.wav is not mono 16 kHz 16-bit; run scripts/make_voice.py")
                    self._frames[key] = w.readframes(w.getnframes())
            return self._frames[key]

    def join(self, names: list[str | Path]) -> bytes:
        """One WAV file (bytes) with a short gap between segments."""
        gap = b"\x00\x00" * int(RATE * GAP_S)
        pcm = gap.join(self.frames(n) for n in names)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm)
        return buf.getvalue()


def clip_seconds(wav_bytes: bytes) -> float:
    return max(0.0, (len(wav_bytes) - 44) / (RATE * 2))


class Voice:
    """Say calls one after another. `say` may be called from the Kivy thread; it never blocks."""

    def __init__(self, bank: SegmentBank | None = None, *, silent: bool = False, volume: float = 1.0):
        self.bank = bank or SegmentBank()
        self.silent = silent
        self.volume = volume
        self.available = True  # becomes False once, if the audio device can't play
        self._jobs: queue.Queue[tuple[list[str | Path], Callable[[float], None]] | None] = queue.Queue()
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk-voice-"))
        self._seq = 0
        self._sound = None
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def say(
        self, number: str, window: int, recall: bool = False, on_ready: Callable[[float], None] | None = None
    ):
        """Queue an announcement; `on_ready(seconds)` runs on the Kivy thread when it starts playing."""
        self._jobs.put(([*segments_for(number, window, recall)], on_ready or (lambda _s: None)))

    def say_parts(self, parts: list[str | Path], on_ready: Callable[[float], None] | None = None) -> None:
        """Queue segments and prompt files joined into one clip (spoken help in 长者模式)."""
        self._jobs.put((list(parts), on_ready or (lambda _s: None)))

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        from kivy.clock import Clock

        while True:
            job = self._jobs.get()
            if job is None:
                return
            names, on_ready = job
            try:
                data = self.bank.join(names)
            except Exception:
                log.exception("voice segments unreadable; calls are shown without voice")
                Clock.schedule_once(lambda _dt, cb=on_ready: cb(0.0))
                continue
            seconds = clip_seconds(data)
            sound = None if self.silent or not self.available else self._load(data)
            Clock.schedule_once(lambda _dt, s=sound, sec=seconds, cb=on_ready: self._play(s, sec, cb))

    def _load(self, data: bytes) -> Any:
        from kivy.core.audio import SoundLoader

        self._seq += 1
        path = self._dir / f"call{self._seq % 4}.wav"
        path.write_bytes(data)
        try:
            sound = SoundLoader.load(str(path))
        except Exception:  # noqa: BLE001 - a voice file that cannot be loaded is skipped
            sound = None
        if sound is None or not sound.length:
            self._degrade("no audio device or player (SoundLoader gave nothing playable)")
            return None
        return sound

    def _degrade(self, why: str) -> None:
        if self.available:
            self.available = False
            log.warning("voice disabled, calls are shown silently: %s", why)

    def _play(self, sound: Any, seconds: float, on_ready: Callable[[float], None]) -> None:
        if sound is None or self.silent:
            seconds = 0.0  # nothing to wait for: the overlay keeps its own minimum time
        else:
            try:
                if self._sound is not None:
                    self._sound.stop()
                sound.volume = self.volume
                sound.play()
                self._sound = sound
            except Exception as exc:  # noqa: BLE001 - sound is optional: any audio failure degrades to silence
                self._degrade(repr(exc))
        on_ready(seconds)
