"""The touch kiosk driven through a real window with real pointer events (see driver.py)."""

from __future__ import annotations

import pytest

from tests.ui.driver import RESTART_PAIRS, SCENARIOS

pytestmark = pytest.mark.ui


def _check(result) -> None:  # type: ignore[no-untyped-def]
    report, log = result
    assert log.returncode == 0, f"scenario failed (exit {log.returncode}):\n{report}\n{log.stderr[-3000:]}"


PAIRED = set(RESTART_PAIRS) | set(RESTART_PAIRS.values())


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - {"home_layout"} - PAIRED))
def test_scenario_landscape(run_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    _check(run_scenario(name))


@pytest.mark.parametrize("first", sorted(RESTART_PAIRS))
def test_scenario_across_a_restart(run_scenario, first: str) -> None:  # type: ignore[no-untyped-def]
    _check(run_scenario(first))
    _check(run_scenario(RESTART_PAIRS[first]))  # a new kiosk process, the same data directory


@pytest.mark.parametrize(
    "name",
    ["regular", "staff_pin", "elder_spoken_help", "staff_sign_in", "every_screen_legible", "partial_frames"],
)
def test_scenario_portrait(run_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    _check(run_scenario(name, size="1080x1920"))


@pytest.mark.parametrize("size", ["1920x1080", "1080x1920"])
@pytest.mark.parametrize("hall", ["three", "sample", "forty"])
def test_home_layout(run_scenario, hall: str, size: str) -> None:  # type: ignore[no-untyped-def]
    _check(run_scenario("home_layout", size=size, hall=hall))
