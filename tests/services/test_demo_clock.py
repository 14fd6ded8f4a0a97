"""The demo's clock: real time while the hall will be issuing numbers for a while, otherwise shifted to
just after the next opening, so a newcomer always watches an open hall."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import OffsetClock, SystemClock
from kiosk.services.demo import demo_clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


def test_an_open_hall_runs_on_real_time(sample_config: HallConfig) -> None:
    assert isinstance(demo_clock(sample_config, at("2026-11-25 10:00")), SystemClock)  # a Wednesday


@pytest.mark.parametrize(
    ("started", "opens"),
    [
        ("2026-11-25 11:50", "2026-11-25 14:05"),  # the morning session ends soon: the afternoon's
        ("2026-11-25 17:25", "2026-11-26 09:05"),  # about to close: tomorrow morning
        ("2026-11-25 07:30", "2026-11-25 09:05"),  # before opening: this morning
        ("2026-11-28 10:00", "2026-11-30 09:05"),  # Saturday: Monday
        ("2026-10-01 10:00", "2026-10-08 09:05"),  # 国庆 (10月1日至7日): the 8th, a Thursday
    ],
)
def test_a_closed_or_closing_hall_is_shown_from_its_next_opening(
    sample_config: HallConfig, started: str, opens: str
) -> None:
    clock = demo_clock(sample_config, at(started))
    assert isinstance(clock, OffsetClock)
    assert abs(clock.now() - at(opens)) < dt.timedelta(seconds=5)
