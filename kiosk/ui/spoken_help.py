"""Spoken help in 长者模式: a touch on a service says its name, the ticket screen says the number and
the window — offline, like the calls.

The calls are joined from committed segments (scripts/make_voice.py); service names are the hall's
own, so their prompts are made on the kiosk by espeak-ng's Mandarin voice when the app starts, on a
worker thread, into `DATA_DIR/voice-prompts/`. A prompt's file is named by a hash of its words and
the voice settings: a renamed service gets a new prompt, a removed one's file is deleted, an
unchanged one is kept. Without espeak-ng (or sox) the kiosk says so once in the log and the touch
still asks for the second press on screen. Kivy-free: `Voice` plays what this hands it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from kiosk.services.call_words import number_words, window_words

log = logging.getLogger(__name__)

SPEED = 165
"""Words per minute: a little slower than the calls, for residents who hear before they choose."""
CONFIRM_WORDS = "再按一次，取号"


def espeak_wav(text: str, out: Path, speed: int) -> None:
    """`text` spoken by espeak-ng's Mandarin voice, trimmed of silence, as mono 16 kHz 16-bit WAV."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        run: dict[str, Any] = {"check": True, "capture_output": True, "timeout": 30}
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", str(speed), "-a", "160", "-w", str(raw), text], **run)
        subprocess.run(
            [
                "sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out),
                "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
                "pad", "0", "0.04",
            ],
            **run,
        )  # fmt: skip


def prompt_texts(config: Any) -> dict[str, str]:
    """Prompt key → words: each service (with the hint to press again), each category, 首问."""
    first = config.home.first_ask
    texts = {f"service:{s.code}": f"{s.name}。{CONFIRM_WORDS}" for s in config.services}
    if first is not None:
        texts[f"service:{first.service}"] = f"{first.label}工作人员帮您。{CONFIRM_WORDS}"
    for s in config.services:
        texts.setdefault(f"category:{s.category}", s.category)
    return texts


def ticket_words(number: str, windows: list[int]) -> list[str]:
    """您的号码是 A 零 零 一 号，请留意叫号，到 一 或 二 号窗口办理 (segments of assets/voice)."""
    said: list[str] = []
    for i, w in enumerate(windows[:3]):
        said += (["huo"] if i else []) + window_words(w)
    return ["ninde", *number_words(number), "hao", "liuyi", "dao", *said, "chuangkou"]


class SpokenHelp:
    def __init__(self, voice: Any, folder: Path, config: Any | None):
        self.voice = voice
        self.folder = folder
        self.texts = prompt_texts(config) if config is not None else {}
        self.ready: dict[str, Path] = {}
        self.last: list[Any] = []
        """What was last handed to the voice (the UI tests read it: there is no sound card)."""
        self.built = threading.Event()
        self.problem = ""

    @staticmethod
    def file_name(text: str) -> str:
        digest = hashlib.sha256(f"cmn|{SPEED}|{text}".encode()).hexdigest()[:16]
        return f"{digest}.wav"

    def start(self) -> None:
        threading.Thread(target=self.build, name="spoken-help", daemon=True).start()

    def build(self) -> None:
        """Make the missing prompts and delete the stale ones (a worker thread; seconds per hall)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            wanted = {key: self.folder / self.file_name(text) for key, text in self.texts.items()}
            for stale in set(self.folder.glob("*.wav")) - set(wanted.values()):
                stale.unlink()
            missing = [key for key, path in wanted.items() if not path.exists()]
            if missing and not (shutil.which("espeak-ng") and shutil.which("sox")):
                raise RuntimeError("espeak-ng or sox is missing (apt-get install espeak-ng sox)")
            for key in missing:
                part = wanted[key].with_name(f"making-{wanted[key].name}")
                espeak_wav(self.texts[key], part, SPEED)
                part.replace(wanted[key])
            index = {key: path.name for key, path in wanted.items()}
            (self.folder / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n")
            self.ready = wanted
            log.info("spoken help: %d prompts (%d made now)", len(wanted), len(missing))
        except Exception as exc:  # noqa: BLE001 - spoken help is optional: any failure is shown, the screen goes on
            self.problem = str(exc)
            log.warning("spoken help unavailable, 长者模式 asks for the second touch on screen only: %s", exc)
        finally:
            self.built.set()

    def _say(self, parts: list[Any]) -> None:
        self.last = parts
        self.voice.say_parts(parts)

    def say_service(self, code: str) -> None:
        path = self.ready.get(f"service:{code}")
        if path is not None:
            self._say([path])

    def say_text(self, category: str) -> None:
        path = self.ready.get(f"category:{category}")
        if path is not None:
            self._say([path])

    def say_ticket(self, number: str, windows: list[int]) -> None:
        self._say(ticket_words(number, windows))
