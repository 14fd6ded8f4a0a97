"""The staff screen's device and sync panel speaks Chinese for every state the parts report.

The sync client reports its own phases (degraded, error, not_enrolled …); the panel once expected
``ok``/``failing`` and showed staff the raw English words."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from drivers.keypad.transport import LinkState
from drivers.printer.status import PrinterState
from kiosk.services import ui_support as fmt
from kiosk.services.health import BusHealthView, Health, SyncHealthView
from sync.client.state import SyncPhase

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
ASCII_WORD = re.compile(r"[a-z_]{4,}")


def health(
    sync: SyncPhase, printer: PrinterState = PrinterState.READY, bus: LinkState = LinkState.UP
) -> Health:
    return Health(
        printer_state=printer,
        printer_message="正常",
        printer_action="",
        buses=[BusHealthView("counter", bus, None)],
        sync=SyncHealthView(sync, 3, None, None),
        db_error=None,
        print_failures=[],
        out_of_service_reason=None,
    )


def sync_line(lines: list[str]) -> str:
    return next(line for line in lines if "同步到街道中心" in line)


@pytest.mark.parametrize("phase", list(SyncPhase))
def test_every_sync_phase_is_shown_in_chinese(phase: SyncPhase) -> None:
    line = sync_line(fmt.health_lines(health(phase), NOW))
    shown = line.split("：", 1)[1].split("，", 1)[0]
    assert phase.value not in line
    assert not ASCII_WORD.search(shown), line
    assert re.search(r"[\u4e00-\u9fff]", shown), line


def test_the_sync_client_states_staff_meet_read_as_chinese() -> None:
    lines = {p: sync_line(fmt.health_lines(health(p), NOW)) for p in SyncPhase}
    assert "连接失败" in lines[SyncPhase.DEGRADED]
    assert "登记" in lines[SyncPhase.NOT_ENROLLED]
    assert "出错" in lines[SyncPhase.ERROR]
    assert len(set(lines.values())) == len(SyncPhase)  # no two phases look alike to staff


@pytest.mark.parametrize("state", list(PrinterState))
def test_every_printer_state_is_shown_in_chinese(state: PrinterState) -> None:
    first = fmt.health_lines(health(SyncPhase.IDLE, printer=state), NOW)[0]
    assert state.value not in first


@pytest.mark.parametrize("state", list(LinkState))
def test_every_bus_state_is_shown_in_chinese(state: LinkState) -> None:
    line = next(x for x in fmt.health_lines(health(SyncPhase.IDLE, bus=state), NOW) if "评价器总线" in x)
    assert state.value not in line
