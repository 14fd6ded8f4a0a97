"""Generate the offline Mandarin call segments in assets/voice/ (committed; re-run to regenerate).

No cloud TTS: online speech services are unreachable from most halls and die with the network.
Each segment is spoken by the local espeak-ng Mandarin voice (``espeak-ng -v cmn``), then trimmed of
silence and resampled by sox to mono 16 kHz 16-bit WAV so the whole set stays small. The kiosk joins
segments at run time: 请 + A + 零 一 二 + 号 + 到 + 三 + 号窗口办理.

Usage:  python scripts/make_voice.py [--out assets/voice] [--speed 140]
Needs:  espeak-ng and sox (Debian packages espeak-ng, sox).
"""

from __future__ import annotations

import argparse
import json
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGITS = "零一二三四五六七八九"


def segment_texts() -> dict[str, str]:
    """Segment name → what espeak-ng says. Names are what kiosk/ui/voice.py asks for."""
    texts = {f"d{i}": ch for i, ch in enumerate(DIGITS)}
    texts.update({f"l{c}": c for c in string.ascii_uppercase})
    texts.update(
        {
            "qing": "请",
            "hao": "号",
            "dao": "到",
            "shi": "十",
            "chuangkou": "号窗口办理",
            "zaici": "再次呼叫",
            # 长者模式 reads the ticket out: 您的号码是 A001 号，请留意叫号，到 1 或 2 号窗口办理.
            "ninde": "您的号码是",
            "liuyi": "请留意叫号",
            "huo": "或",
        }
    )
    return texts


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def make(out: Path, speed: int) -> dict[str, str]:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install espeak-ng sox")
    out.mkdir(parents=True, exist_ok=True)
    texts = segment_texts()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in texts.items():
            raw = Path(tmp) / f"{name}.wav"
            _run(["espeak-ng", "-v", "cmn", "-s", str(speed), "-a", "160", "-w", str(raw), text])
            # Trim leading and trailing silence so joined segments sound like one sentence.
            _run(
                [
                    "sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out / f"{name}.wav"),
                    "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
                    "pad", "0", "0.04",
                ]
            )  # fmt: skip
        # A two-note chime (叮咚) so waiting residents look up before the number is spoken.
        _run(
            [
                "sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out / "chime.wav"),
                "synth", "0.35", "sine", "880", "synth", "0.35", "sine", "mix", "660",
                "fade", "0", "0.7", "0.3", "vol", "0.5", "pad", "0", "0.15",
            ]
        )  # fmt: skip
    texts["chime"] = "(叮咚 chime, sox synth)"
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()
    manifest = {"engine": version, "voice": "cmn", "speed": speed, "format": "wav mono 16000 Hz 16-bit"}
    manifest["segments"] = texts  # type: ignore[assignment]
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "voice")
    parser.add_argument("--speed", type=int, default=175, help="words per minute for espeak-ng")
    args = parser.parse_args(argv)
    texts = make(args.out, args.speed)
    size = sum(p.stat().st_size for p in args.out.glob("*.wav"))
    print(f"{len(texts)} segments in {args.out} ({size // 1024} KiB)")


if __name__ == "__main__":
    main()
