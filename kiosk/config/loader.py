"""Load the hall YAML and report every problem at once, each with file, line, field and a hint.

The kiosk never starts half-configured: `load_config` either returns a complete `HallConfig` or
raises `ConfigError` carrying all problems found (syntax, types, unknown keys, cross references).
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from kiosk.config.crossref import cross_reference_problems
from kiosk.config.icons import icon_file_problems, resolve_icon_files
from kiosk.config.schema import HallConfig

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.field or '(top level)'}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class ConfigError(Exception):
    def __init__(self, problems: list[ConfigProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))


def field_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _LineMap:
    """Maps a field path to the YAML line it came from (1-based)."""

    def __init__(self, root: yaml.Node | None):
        self._lines: dict[Loc, int] = {}
        # (field, line, first line) for a key written twice in one mapping: YAML keeps the last
        # silently, so the hall would not have the setting it thinks it has.
        self.duplicates: list[tuple[Loc, int, int]] = []
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        self._lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            first: dict[object, int] = {}
            for key, value in node.value:
                sub = (*loc, key.value)
                if isinstance(key.value, str):
                    if key.value in first:
                        self.duplicates.append((sub, key.start_mark.line + 1, first[key.value]))
                    first.setdefault(key.value, key.start_mark.line + 1)
                self._walk(value, sub)
                # A key's own line is where an "unknown key" or "wrong type" points.
                self._lines[sub] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*loc, i))

    def line(self, loc: Loc) -> int:
        while loc and loc not in self._lines:
            loc = loc[:-1]
        return self._lines.get(loc, 1)


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that owns the field at `loc`, for 'did you mean' on unknown keys."""
    model: Any = HallConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _unwrap(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _unwrap(arg)
    return annotation


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


_HINTS = {
    "missing": "add this field",
    "time_parsing": "write times as HH:MM, e.g. 09:00",
    "time_type": "write times as HH:MM, e.g. 09:00",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "string_pattern_mismatch": "",
    "literal_error": "",
    "date_from_datetime_parsing": "write dates as YYYY-MM-DD",
}


def _validation_problems(err: ValidationError, file: str, lines: _LineMap) -> list[ConfigProblem]:
    problems = []
    for e in err.errors():
        loc: Loc = tuple(e["loc"])
        kind = e["type"]
        hint = _HINTS.get(kind, "")
        message = e["msg"]
        if kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            message = f"unknown key '{loc[-1]}'"
            hint = did_you_mean(str(loc[-1]), list(parent.model_fields)) if parent else ""
            if not hint and parent:
                hint = "allowed keys: " + ", ".join(parent.model_fields)
        elif kind == "string_pattern_mismatch":
            hint = _pattern_hint(loc)
        elif kind == "literal_error":
            hint = "allowed: " + str(e.get("ctx", {}).get("expected", ""))
        problems.append(ConfigProblem(file, lines.line(loc), field_path(loc), message, hint))
    return problems


def _pattern_hint(loc: Loc) -> str:
    last = loc[-1] if loc else ""
    return {
        "prefix": "one capital letter, e.g. A",
        "code": "lowercase letters, digits and _, starting with a letter, e.g. pension_enrol",
        "hall_id": "lowercase letters, digits and -, e.g. baiyang-hall-01",
        "pin_hash": "make one with `kiosk-admin hash-pin`",
    }.get(str(last), "")


def parse_config_text(text: str, file: str = "<config>", base: Path | None = None) -> HallConfig:
    """The config in `text`; icon files are looked for in `base` (the config file's folder, else
    the current one)."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(
            [
                ConfigProblem(
                    file, line, "", f"YAML syntax error: {exc.problem}", "check indentation and colons"
                )
            ]
        ) from None
    lines = _LineMap(root)
    folder = base if base is not None else Path.cwd()
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file, 1, "", "the file must be a mapping of hall settings")])
    problems = [
        ConfigProblem(file, lines.line(loc), field_path(loc), msg, hint)
        for loc, msg, hint in [*cross_reference_problems(data), *icon_file_problems(data, folder)]
    ]
    problems += [
        ConfigProblem(
            file,
            line,
            field_path(loc),
            f"'{loc[-1]}' is written twice (first on line {first})",
            "keep one: YAML silently uses the last",
        )
        for loc, line, first in lines.duplicates
    ]
    config: HallConfig | None = None
    try:
        config = HallConfig.model_validate(data)
    except ValidationError as err:
        problems.extend(_validation_problems(err, file, lines))
    if problems or config is None:
        raise ConfigError(problems)
    return resolve_icon_files(config, folder)


def load_config(path: str | Path) -> HallConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(p), 0, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(str(p), 1, "", f"not UTF-8 text ({exc.reason})", "save as UTF-8")]
        ) from None
    return parse_config_text(text, str(p), p.parent)
