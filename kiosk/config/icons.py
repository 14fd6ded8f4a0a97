"""Pictures named in the config: a shipped icon by name, or a hall's own PNG file.

A file is written relative to the config file's folder (or as an absolute path). The loader checks
that each one exists and is a PNG before the kiosk starts (`icon_file_problems`, reported with file,
line and field like every other problem) and then makes the paths absolute (`resolve_icon_files`),
so the screens never meet a missing picture.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.config.schema import SHIPPED_ICONS, HallConfig

Loc = tuple[str | int, ...]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 1024
"""Larger than any button needs; a photo straight from a camera would cost the screen its memory."""


def is_file_icon(value: str) -> bool:
    return bool(value) and value not in SHIPPED_ICONS


def _places(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    services = data.get("services")
    for i, svc in enumerate(services if isinstance(services, list) else []):
        if isinstance(svc, dict) and isinstance(svc.get("icon"), str):
            yield ("services", i, "icon"), svc["icon"]
    home = data.get("home")
    looks = home.get("categories") if isinstance(home, dict) else None
    for i, look in enumerate(looks if isinstance(looks, list) else []):
        if isinstance(look, dict) and isinstance(look.get("icon"), str):
            yield ("home", "categories", i, "icon"), look["icon"]


def png_problem(path: Path) -> str:
    """Why `path` cannot be shown as an icon, or '' when it can."""
    try:
        with path.open("rb") as f:
            head = f.read(24)
    except FileNotFoundError:
        return f"icon file not found: {path}"
    except OSError as exc:
        return f"icon file cannot be read: {path} ({exc.strerror})"
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return f"icon file is not a PNG image: {path}"
    width, height = struct.unpack(">II", head[16:24])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        return f"icon file is {width}×{height} px: {path}"
    return ""


def icon_file_problems(data: dict[str, Any], base: Path) -> list[tuple[Loc, str, str]]:
    """Each icon file named in the raw config that is missing or not a usable PNG."""
    problems = []
    for loc, value in _places(data):
        if not value.lower().endswith(".png"):
            continue  # not a file name: the schema says what is allowed
        problem = png_problem(base / value)
        if problem:
            hint = (
                f"at most {MAX_SIDE}×{MAX_SIDE} px, e.g. 256×256 white on transparent"
                if "px" in problem
                else f"put the file beside the config ({base}) or use a shipped icon: {', '.join(SHIPPED_ICONS)}"
            )
            problems.append((loc, problem, hint))
    return problems


def resolve_icon_files(config: HallConfig, base: Path) -> HallConfig:
    """The config with every icon file as an absolute path."""

    def absolute(value: str) -> str:
        return str((base / value).resolve()) if is_file_icon(value) else value

    services = [s.model_copy(update={"icon": absolute(s.icon)}) for s in config.services]
    looks = [c.model_copy(update={"icon": absolute(c.icon)}) for c in config.home.categories]
    home = config.home.model_copy(update={"categories": looks})
    return config.model_copy(update={"services": services, "home": home})
