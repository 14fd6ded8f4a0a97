"""The touch kiosk driven through a real window with real pointer events (see driver.py)."""

from __future__ import annotations

import pytest

from tests.ui.driver import SCENARIOS

pytestmark = pytest.mark.ui


def _check(result) -> None:  # type: ignore[no-untyped-def]
    tail = "\n".join(result.stderr.splitlines()[-60:])
    assert result.returncode == 0, f"scenario failed:\n{tail}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_landscape(run_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    _check(run_scenario(name))


@pytest.mark.parametrize("name", ["regular", "staff_pin"])
def test_scenario_portrait(run_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    _check(run_scenario(name, size="1080x1920"))
