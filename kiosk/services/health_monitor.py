"""The staff screen's snapshot of the devices, sync and the database, refreshed on its own thread.

The touch UI reads `snapshot()` (never blocks: the last snapshot, computed off the UI thread); the
monitor asks the printer for its status, reads the keypad buses' health, the sync client's state and the
database writer's queue, and warns ahead when the built-in calendar does not know the coming weeks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace

from drivers.keypad.bus import KeypadStatus
from drivers.keypad.dispatch import KeypadDispatcher
from drivers.keypad.transport import LinkState
from drivers.printer.driver import PrinterDriver
from kiosk.engine.engine import QueueEngine
from kiosk.services.background import PeriodicThread
from kiosk.services.health import BoardHealthView, BusHealthView, Health, KeypadHealthView
from kiosk.services.sync_link import SyncLink
from kiosk.services.ticketing import printer_state

log = logging.getLogger(__name__)


class HealthMonitor(PeriodicThread):
    def __init__(
        self,
        engine: QueueEngine,
        printer: PrinterDriver | None,
        sync: SyncLink,
        keypads: Callable[[], KeypadDispatcher | None],
        boards: Callable[[], BoardHealthView | None] = lambda: None,
        interval_s: float = 2.0,
    ):
        super().__init__("kiosk-health", interval_s, self.tick)
        self.engine = engine
        self.printer = printer
        self.sync = sync
        self.keypads = keypads
        self.boards = boards
        self._snapshot: Health | None = None

    def snapshot(self) -> Health:
        if self._snapshot is None:
            self.refresh()
        assert self._snapshot is not None
        return self._snapshot

    def tick(self) -> None:
        if self.printer is not None:
            self.printer.check_status()
        self.refresh()

    def refresh(self) -> None:
        db = self.engine.db
        status = printer_state(self.printer)
        fault = status.fault
        try:
            failures = self.engine.print_failures()
            backlog = self.engine.outbox_backlog()
        except Exception as exc:  # noqa: BLE001 - the database itself is failing: say so, don't end the monitor
            failures, backlog = [], -1
            log.error("health read failed: %s", exc)
        reason = None
        if db.last_error:
            reason = "数据库写入失败，暂停取号。请联系管理员检查存储。"
        elif self.engine.config.devices.printer_required and status.state.known_bad:
            reason = (fault.reason if fault else "打印机故障") + " 请到窗口人工取号。"
        self._snapshot = Health(
            printer_state=status.state,
            printer_message=fault.reason if fault else "正常",
            printer_action=fault.staff_action if fault else "",
            buses=self._buses(),
            sync=replace(self.sync.health(), backlog=backlog),
            db_error=db.last_error,
            print_failures=failures,
            out_of_service_reason=reason,
            notices=self.calendar_notices(),
            db_queue=db.queue_length,
            boards=self.boards(),
        )

    def _buses(self) -> list[BusHealthView]:
        dispatcher = self.keypads()
        if dispatcher is None:
            return []
        return [
            BusHealthView(
                name=b.name,
                state=LinkState(b.state),
                last_error=str(b.last_error) if b.last_error else None,
                keypads=[
                    KeypadHealthView(
                        k.address,
                        k.window,
                        dt.datetime.fromtimestamp(k.last_seen, dt.UTC) if k.last_seen else None,
                        k.status == KeypadStatus.SILENT,
                        k.not_understood,
                    )
                    for k in b.keypads
                ],
                frames_ok=b.counters.get("frames", 0),
                frames_dropped=sum(
                    v for k, v in b.counters.items() if k.startswith("bad") or k == "bytes_dropped"
                ),
            )
            for b in dispatcher.health()
        ]

    def calendar_notices(self) -> tuple[str, ...]:
        """Warn ahead when the built-in calendar does not know the coming weeks' holidays."""
        ctx = self.engine.ctx
        today = ctx.today()
        cal = self.engine.config.calendar
        for ahead in (0, 45):
            day = today + dt.timedelta(days=ahead)
            listed = any(d.year == day.year for d in (*cal.extra_holidays, *cal.extra_workdays))
            if not ctx.calendar.covered(day) and not listed:
                return (
                    f"内置节假日日历不含 {day.year} 年：请在配置 calendar.extra_holidays / extra_workdays 中"
                    f"填入国务院公布的 {day.year} 年放假安排，或由街道中心下发节假日日历。",
                )
        return ()
