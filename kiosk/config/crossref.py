"""Checks that span several parts of the config (a window naming an unknown service, a duplicate
prefix …). They run on the raw YAML data, tolerant of missing pieces, so they report alongside the
type errors instead of after them: the installer fixes everything in one pass."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator
from typing import Any

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str, str]


def _hint(word: object, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known: " + ", ".join(choices) if choices else ""


def _items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def _list(value: object) -> list[Any]:
    """A YAML list, or nothing: the schema reports a wrong type, these checks just skip it."""
    return value if isinstance(value, list) else []


def _as_time(value: object) -> dt.time | None:
    if isinstance(value, int):  # YAML 1.1 reads 09:00 as sexagesimal 540
        return dt.time(value // 60, value % 60) if 0 <= value < 24 * 60 else None
    if isinstance(value, str):
        try:
            parsed = dt.time.fromisoformat(value)
        except ValueError:
            return None
        # A time with a zone is the schema's to report; comparing it with a local one would raise.
        return parsed if parsed.tzinfo is None else None
    return None


def cross_reference_problems(data: dict[str, Any]) -> list[Problem]:
    return [
        *_services(data),
        *_windows(data),
        *_sessions(data),
        *_rating(data),
        *_home(data),
    ]


def _services(data: dict[str, Any]) -> Iterator[Problem]:
    seen_codes: dict[str, int] = {}
    seen_prefix: dict[str, int] = {}
    served = {
        code for _, w in _items(data, "windows") for code in _list(w.get("services")) if isinstance(code, str)
    }
    for i, s in _items(data, "services"):
        code, prefix = s.get("code"), s.get("prefix")
        if isinstance(code, str):
            if code in seen_codes:
                yield (
                    ("services", i, "code"),
                    f"duplicate service code '{code}'",
                    f"also services[{seen_codes[code]}]",
                )
            seen_codes.setdefault(code, i)
            if served and code not in served:
                yield ("services", i, "code"), f"no window serves '{code}'", "add it to a window's services"
        if isinstance(prefix, str):
            if prefix in seen_prefix:
                yield (
                    ("services", i, "prefix"),
                    f"prefix '{prefix}' is already used by services[{seen_prefix[prefix]}]",
                    "each service needs its own letter",
                )
            seen_prefix.setdefault(prefix, i)
        guide = s.get("guide")
        if isinstance(guide, dict):
            promised, legal = guide.get("promised_days"), guide.get("legal_days")
            if isinstance(promised, int) and isinstance(legal, int) and legal and promised > legal:
                yield (
                    ("services", i, "guide", "promised_days"),
                    f"promised {promised} working days exceeds the legal limit of {legal}",
                    "a promise must not be longer than the law allows",
                )


def _windows(data: dict[str, Any]) -> Iterator[Problem]:
    codes = [s["code"] for _, s in _items(data, "services") if isinstance(s.get("code"), str)]
    devices = data.get("devices") if isinstance(data.get("devices"), dict) else {}
    assert isinstance(devices, dict)
    bus_items = [b for b in _list(devices.get("keypad_buses")) if isinstance(b, dict)]
    buses = [b.get("name") for b in bus_items]
    for i, b in enumerate(bus_items):
        if b.get("keypads"):
            yield (
                ("devices", "keypad_buses", i, "keypads"),
                "keypads are declared on the windows, not on the bus",
                "write `keypad: {bus: NAME, address: N}` under each window",
            )
    seen_numbers: dict[int, int] = {}
    seen_addr: dict[tuple[object, object], int] = {}
    for i, w in _items(data, "windows"):
        number = w.get("number")
        if isinstance(number, int):
            if number in seen_numbers:
                yield (
                    ("windows", i, "number"),
                    f"window {number} is listed twice",
                    f"also windows[{seen_numbers[number]}]",
                )
            seen_numbers.setdefault(number, i)
        for j, code in enumerate(_list(w.get("services"))):
            if codes and isinstance(code, str) and code not in codes:
                yield ("windows", i, "services", j), f"unknown service '{code}'", _hint(code, codes)
        keypad = w.get("keypad")
        if isinstance(keypad, dict):
            bus = keypad.get("bus")
            if bus not in buses:
                yield (
                    ("windows", i, "keypad", "bus"),
                    f"unknown keypad bus '{bus}'",
                    _hint(bus, [str(b) for b in buses]),
                )
            key = (str(bus), str(keypad.get("address")))
            if key in seen_addr:
                yield (
                    ("windows", i, "keypad", "address"),
                    f"address {key[1]} on bus '{bus}' is already windows[{seen_addr[key]}]",
                    "give each keypad on a bus its own address",
                )
            seen_addr.setdefault(key, i)


def _sessions(data: dict[str, Any]) -> Iterator[Problem]:
    previous_end: dt.time | None = None
    for i, s in _items(data, "sessions"):
        start, end = _as_time(s.get("start")), _as_time(s.get("end"))
        if start and end and end <= start:
            yield (
                ("sessions", i, "end"),
                "the session ends before it starts",
                "write end after start, e.g. 12:00",
            )
        if start and previous_end and start < previous_end:
            yield (
                ("sessions", i, "start"),
                "this session overlaps the previous one",
                "list sessions in time order",
            )
        previous_end = end or previous_end


def _rating(data: dict[str, Any]) -> Iterator[Problem]:
    rating = data.get("rating")
    if not isinstance(rating, dict):
        return
    sat = rating.get("satisfied_levels") or [1, 2, 3]
    dis = rating.get("dissatisfied_levels") or [4, 5]
    if isinstance(sat, list) and isinstance(dis, list):
        both = sorted({x for x in sat if isinstance(x, int)} & {x for x in dis if isinstance(x, int)})
        if both:
            yield (
                ("rating", "dissatisfied_levels"),
                f"levels {both} are both satisfied and dissatisfied",
                "a level is one or the other",
            )
    keys = rating.get("keypad_keys")
    if isinstance(keys, dict):
        for k, level in keys.items():
            if level not in (1, 2, 3, 4, 5):
                yield ("rating", "keypad_keys", k), f"key {k} maps to level {level}", "levels are 1 to 5"


def _home(data: dict[str, Any]) -> Iterator[Problem]:
    home = data.get("home")
    if not isinstance(home, dict):
        return
    items = [s for _, s in _items(data, "services")]
    services = {s["code"]: s for s in items if isinstance(s.get("code"), str)}
    categories = [str(s["category"]) for s in items if isinstance(s.get("category"), str)]
    for i, look in _items(home, "categories"):
        name = look.get("name")
        if isinstance(name, str) and categories and name not in categories:
            yield (
                ("home", "categories", i, "name"),
                f"no service has category '{name}'",
                _hint(name, categories),
            )
    first = home.get("first_ask")
    if not isinstance(first, dict):
        return
    code = first.get("service")
    if not isinstance(code, str):
        return
    if code not in services:
        codes = [c for c in services if isinstance(c, str)]
        yield ("home", "first_ask", "service"), f"unknown service '{code}'", _hint(code, codes)
        return
    window = first.get("window")
    if isinstance(window, int) and not isinstance(window, bool):
        lists = [w for _, w in _items(data, "windows") if w.get("number") == window]
        if not lists:
            yield ("home", "first_ask", "window"), f"no window number {window}", "name one of `windows`"
        elif code not in _list(lists[0].get("services")):
            yield (
                ("home", "first_ask", "window"),
                f"window {window} does not list '{code}'",
                f"add '{code}' to window {window}'s services",
            )
