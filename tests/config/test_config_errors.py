"""Every broken config file gets one clear message naming file, line and field (and a hint)."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from kiosk.config.loader import ConfigError, ConfigProblem, load_config, parse_config_text
from kiosk.config.schema import HallConfig

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
SAMPLE = HERE.parents[1] / "assets" / "hall.sample.yaml"

# file stem → (line, field path, words in the message, words in the hint)
CASES: dict[str, tuple[int, str, str, str]] = {
    "unknown_key_typo": (11, "issue_cutof_minutes", "unknown key", "did you mean 'issue_cutoff_minutes'?"),
    "bad_prefix": (18, "services[0].prefix", "pattern", "one capital letter"),
    "duplicate_prefix": (34, "services[1].prefix", "prefix 'A' is already used by services[0]", "own letter"),
    "window_unknown_service": (
        200,
        "windows[1].services[2]",
        "unknown service 'social_cards'",
        "did you mean 'social_card'?",
    ),
    "keypad_bus_unknown": (
        199,
        "windows[0].keypad.bus",
        "unknown keypad bus 'countre'",
        "did you mean 'counter'?",
    ),
    "session_end_before_start": (10, "sessions[1].end", "ends before it starts", "end after start"),
    "time_written_badly": (9, "sessions[0].start", "valid time", "HH:MM"),
    "satisfied_dissatisfied_overlap": (
        206,
        "rating.dissatisfied_levels",
        "levels [4] are both satisfied and dissatisfied",
        "one or the other",
    ),
    "bad_pin_hash": (250, "staff.pin_hash", "pattern", "kiosk-admin hash-pin"),
    "yaml_syntax_error": (5, "", "YAML syntax error: mapping values are not allowed here", "indentation"),
    "daily_cap_not_a_number": (51, "services[2].daily_cap", "valid integer", "whole number"),
    "daily_cap_too_high": (36, "services[1].daily_cap", "less than or equal to 999", ""),
    "promised_exceeds_legal": (
        58,
        "services[2].guide.promised_days",
        "promised 25 working days exceeds the legal limit of 20",
        "longer than the law allows",
    ),
    "duplicate_window_number": (200, "windows[1].number", "window 1 is listed twice", "also windows[0]"),
    "timezone_unknown": (7, "timezone", "Asia/Shanghai", "allowed:"),
    "keypad_key_bad_level": (207, "rating.keypad_keys[4]", "key 4 maps to level 6", "levels are 1 to 5"),
    "duplicate_key": (
        14,
        "issue_cutoff_minutes",
        "written twice (first on line 11)",
        "YAML silently uses the last",
    ),
}


def test_every_broken_file_has_a_case() -> None:
    assert {p.stem for p in BROKEN.glob("*.yaml")} == set(CASES)
    assert len(CASES) >= 10


@pytest.mark.parametrize("stem", sorted(CASES))
def test_broken_config_gives_one_clear_message(stem: str) -> None:
    line, field, message, hint = CASES[stem]
    path = BROKEN / f"{stem}.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.line == line
    assert problem.field == field
    assert message in problem.message
    assert hint in problem.hint
    if hint:
        assert problem.hint
    # The rendered text an installer reads names all of it.
    text = str(info.value)
    assert text.startswith(f"{path}:{line}: {field or '(top level)'}: ")
    assert hint in text


def test_the_line_points_at_the_changed_text() -> None:
    """Each broken file differs from the sample on exactly one line (edited or added): the one the
    message names, except the satisfied/dissatisfied overlap, reported on the line below the edit."""
    sample = SAMPLE.read_text(encoding="utf-8").splitlines()
    for stem, (line, _field, _message, _hint) in CASES.items():
        broken = (BROKEN / f"{stem}.yaml").read_text(encoding="utf-8").splitlines()
        ops = difflib.SequenceMatcher(a=sample, b=broken, autojunk=False).get_opcodes()
        changed = [n + 1 for tag, _a1, _a2, b1, b2 in ops if tag != "equal" for n in range(b1, b2)]
        assert len(changed) == 1, stem
        expected = changed[0] + 1 if stem == "satisfied_dissatisfied_overlap" else changed[0]
        assert line == expected, stem


def test_several_errors_are_reported_at_once() -> None:
    path = HERE / "several_errors.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    got = [(p.line, p.field) for p in info.value.problems]
    assert got == [
        (11, "issue_cutof_minutes"),
        (18, "services[0].prefix"),
        (58, "services[2].guide.promised_days"),
        (190, "windows[0].keypad.bus"),
        (231, "staff.pin_hash"),
    ]
    assert all(p.file == str(path) for p in info.value.problems)
    assert str(info.value).count("\n") == 4


def test_sample_config_loads(sample_config: HallConfig) -> None:
    assert sample_config.hall_id == "baiyang-shuangyang"
    assert [w.number for w in sample_config.windows] == [1, 2, 3, 4]
    assert len({s.prefix for s in sample_config.services}) == len(sample_config.services)
    assert sample_config.windows_for("elderly_allowance") == [3, 4]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    (problem,) = info.value.problems
    assert problem.message == "file not found"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("gb18030"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert "UTF-8" in problem.message and problem.hint == "save as UTF-8"


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_text("- just\n- a list\n", "list.yaml")
    assert info.value.problems == [
        ConfigProblem("list.yaml", 1, "", "the file must be a mapping of hall settings")
    ]


def test_missing_required_field(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    start = text.index("staff:")
    path = tmp_path / "no_staff.yaml"
    path.write_text(text[:start] + text[text.index("calendar:") :], encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.field == "staff" and problem.hint == "add this field"


def test_a_copy_of_the_sample_is_fine(tmp_path: Path) -> None:
    copy = tmp_path / "hall.yaml"
    shutil.copy(SAMPLE, copy)
    assert load_config(copy).name == "柏杨街道双阳社区便民服务中心"


def test_unquoted_times_are_read_as_written() -> None:
    """YAML 1.1 reads an unquoted 14:00 as the integer 840; it must still mean 14:00, not 00:14."""
    import datetime as dt

    text = SAMPLE.read_text(encoding="utf-8").replace(
        '{start: "14:00", end: "17:30"}', "{start: 14:00, end: 17:30}"
    )
    config = parse_config_text(text, "hall.yaml")
    assert [(s.start, s.end) for s in config.sessions] == [
        (dt.time(9, 0), dt.time(12, 0)),
        (dt.time(14, 0), dt.time(17, 30)),
    ]


@pytest.mark.parametrize(
    ("written", "words"),
    [("25:30", "HH:MM"), ('"17:30+08:00"', "without a zone"), ('"5pm"', "valid time")],
)
def test_bad_session_end(written: str, words: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace('end: "17:30"', f"end: {written}")
    with pytest.raises(ConfigError) as info:
        parse_config_text(text, "hall.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.field) == (10, "sessions[1].end")
    assert words in problem.message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            "keypad: {bus: counter, address: 2}",
            "keypad: {bus: [counter], address: 2}",
            "windows[1].keypad.bus",
        ),
        (
            "services: [medical_insurance, pension_enrol, social_card]",
            "services: 5",
            "windows[1].services",
        ),
        ("satisfied_levels: [1, 2, 3]", "satisfied_levels: [[1], 2, 3]", "rating.satisfied_levels[0]"),
        ("keypad_buses:\n", "keypad_buses: 7\n", "devices.keypad_buses"),
    ],
)
def test_wrong_types_are_reported_not_crashed_on(old: str, new: str, field: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    if old == "keypad_buses:\n":  # drop the list that followed the key
        text = text.replace("    - {name: counter, url: simulated, baudrate: 9600, protocol: ff68}\n", "")
    with pytest.raises(ConfigError) as info:
        parse_config_text(text.replace(old, new), "hall.yaml")
    assert field in [p.field for p in info.value.problems]
