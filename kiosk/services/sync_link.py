"""The kiosk's end of sync: the sync client's scheduler over the kiosk database, or "disabled"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.engine import QueueEngine
from kiosk.services.centre_config import document_store
from kiosk.services.health import SyncHealthView
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.scheduler import SyncScheduler
from sync.client.state import SyncPhase
from sync.contract.heartbeat import Heartbeat

log = logging.getLogger(__name__)


class SyncLink:
    def __init__(self, config: HallConfig, db: Database, engine: QueueEngine, data_dir: Path):
        self.engine = engine
        self.scheduler: SyncScheduler | None = None
        settings = config.sync
        if settings is not None and settings.enabled:
            if not settings.key_file.is_absolute():
                settings = settings.model_copy(update={"key_file": data_dir / settings.key_file.name})
            source = KioskOutboxSource(db, apply_documents=document_store(data_dir / "centre-config"))
            self.scheduler = SyncScheduler(
                settings,
                source,
                source,
                is_open=lambda: engine.issuing_state().open,
            )

    def start(self) -> None:
        if self.scheduler:
            self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()

    def push_soon(self, nightly: bool = False) -> None:
        if self.scheduler is None:
            return
        if nightly:
            self.scheduler.nightly_close()
        else:
            self.scheduler.sync_now()

    def set_heartbeat(self, collect: Callable[[], Heartbeat]) -> None:
        """What to report to the centre with each push and every five minutes while open."""
        if self.scheduler is not None:
            self.scheduler.heartbeat = collect

    def health(self) -> SyncHealthView:
        if self.scheduler is None:
            return SyncHealthView(SyncPhase.DISABLED, 0, None, None)
        st = self.scheduler.status
        return SyncHealthView(st.phase, st.backlog, st.last_success_at, st.last_error)
