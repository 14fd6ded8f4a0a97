"""What every engine operation needs: the hall's config, a clock, the work calendar, the kiosk id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kiosk.config.schema import HallConfig, Service
from kiosk.db import models as m
from kiosk.engine import outbox
from kiosk.engine.clock import Clock, business_date, local, utc_from_local
from kiosk.engine.errors import UnknownService, UnknownWindow
from kiosk.engine.notices import Notice
from kiosk.engine.workdays import WorkCalendar


@dataclass
class Context:
    config: HallConfig
    clock: Clock
    calendar: WorkCalendar
    kiosk_id: str

    @classmethod
    def create(cls, config: HallConfig, clock: Clock, kiosk_id: str | None = None) -> Context:
        cal = WorkCalendar(config.calendar.extra_holidays, config.calendar.extra_workdays)
        kid = kiosk_id or (config.sync.kiosk_id if config.sync else None) or f"{config.hall_id}-k1"
        return cls(config, clock, cal, kid)

    @property
    def hall_id(self) -> str:
        return self.config.hall_id

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self, now: dt.datetime | None = None) -> dt.date:
        return business_date(now or self.now(), self.config.timezone)

    def local(self, instant: dt.datetime) -> dt.datetime:
        return local(instant, self.config.timezone)

    def at_local(self, day: dt.date, at: dt.time) -> dt.datetime:
        return utc_from_local(day, at, self.config.timezone)

    def service(self, code: str) -> Service:
        try:
            return self.config.service(code)
        except KeyError:
            raise UnknownService(f"没有这项业务：{code}") from None

    def check_window(self, number: int) -> None:
        try:
            self.config.window(number)
        except KeyError:
            raise UnknownWindow(f"没有 {number} 号窗口") from None

    def emit(self, s: Session, type: str, now: dt.datetime, **payload: Any) -> None:
        outbox.emit(
            s,
            kiosk_id=self.kiosk_id,
            hall_id=self.hall_id,
            type=type,
            at=now,
            business_date=self.today(now),
            payload=payload,
        )

    def notify(self, s: Session, notice: Notice) -> None:
        s.info.setdefault("notify", []).append(notice)

    # snapshot helpers, so call sites stay short
    def snap_ticket(self, t: m.Ticket) -> dict[str, Any]:
        return outbox.ticket_snapshot(t, self.hall_id, self.service(t.service_code).name)

    def snap_handling(self, h: m.Handling) -> dict[str, Any]:
        return outbox.handling_snapshot(h, self.hall_id)

    def snap_rating(self, r: m.Rating) -> dict[str, Any]:
        return outbox.rating_snapshot(r, self.hall_id)

    def snap_followup(self, f: m.FollowUp) -> dict[str, Any]:
        return outbox.followup_snapshot(f, self.hall_id)
