"""Whatever an installer writes, the loader answers with a config or a ConfigError — never a crash."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config.loader import ConfigError, parse_config_text
from kiosk.config.schema import HallConfig

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "hall.sample.yaml"
DATA: dict[str, Any] = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


PATHS = paths(DATA)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 3000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["09:00", "25:00", "17:30+08:00", "A", "counter", "pension_enrol", "2026-13-01"]),
    st.lists(st.integers(0, 6), max_size=3),
    st.dictionaries(st.sampled_from(["a", "bus", "start", 0, 3]), st.integers(0, 6), max_size=2),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), JUNK), min_size=1, max_size=3), drop=st.booleans())
def test_mutated_config_never_crashes_the_loader(
    edits: list[tuple[tuple[Any, ...], Any]], drop: bool
) -> None:
    data = copy.deepcopy(DATA)
    for path, junk in edits:
        target = data
        try:
            for part in path[:-1]:
                target = target[part]
            if drop and isinstance(target, dict):
                target.pop(path[-1], None)
            else:
                target[path[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        config = parse_config_text(text, "fuzz.yaml")
    except ConfigError as err:
        assert err.problems
        for p in err.problems:
            assert p.file == "fuzz.yaml" and p.line >= 1 and p.message
        return
    assert isinstance(config, HallConfig)
