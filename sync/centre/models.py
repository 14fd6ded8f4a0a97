"""The centre's tables.

The raw event log (``events``) is the truth; the entity tables are materialised from it. Each entity row
keeps the kiosk's full snapshot in ``data`` (so the centre can hand exactly the kiosk's rows to the same
summary function the kiosk uses) and the ``src_seq`` of the event that wrote it, so an older event can
never overwrite a newer one, whatever order batches arrive in. Every entity key starts with ``hall_id``,
taken from the authenticated kiosk, never from the body: a kiosk cannot reach another hall's rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL: ingest extracts the snapshots inside the database (see bulk.py)
Json = JSON().with_variant(JSONB(), "postgresql")
Stamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Kiosk(Base):
    __tablename__ = "kiosks"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    hall_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Stamp)
    last_seen_at: Mapped[datetime | None] = mapped_column(Stamp)
    last_push_at: Mapped[datetime | None] = mapped_column(Stamp)
    last_skew_seconds: Mapped[float | None] = mapped_column(Float)


class KioskKeyRow(Base):
    __tablename__ = "kiosk_keys"
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.kiosk_id"), index=True)
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Stamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Stamp)


class EnrolToken(Base):
    __tablename__ = "enrol_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.kiosk_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    expires_at: Mapped[datetime] = mapped_column(Stamp)
    used_at: Mapped[datetime | None] = mapped_column(Stamp)
    key_id: Mapped[str | None] = mapped_column(String(64))
    """The key this token was exchanged for (none if it expired unused or a newer token replaced it)."""


class Nonce(Base):
    __tablename__ = "nonces"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(Stamp, index=True)


class Event(Base):
    """The kiosk's outbox as received. (kiosk, seq) is the key, (kiosk, event id) is unique too."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("kiosk_id", "event_id"),)
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(64))
    hall_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[str] = mapped_column(String(40))  # the kiosk's clock: shown, never used to order
    business_date: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(Stamp)


class _Entity:
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[str] = mapped_column(String(10))
    src_seq: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(Json)


class Ticket(_Entity, Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_hall_date", "hall_id", "business_date"),)


class Handling(_Entity, Base):
    __tablename__ = "handlings"
    __table_args__ = (Index("ix_handlings_hall_date", "hall_id", "business_date"),)


class Rating(_Entity, Base):
    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_hall_date", "hall_id", "business_date"),)


class Followup(_Entity, Base):
    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_hall_date", "hall_id", "business_date"),
        Index("ix_followups_open_due", "status", "due_date"),
        Index("ix_followups_date", "business_date"),
    )
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[str | None] = mapped_column(String(10))


class IgnoredPress(Base):
    __tablename__ = "ignored_presses"
    __table_args__ = (Index("ix_ignored_presses_hall_date", "hall_id", "business_date"),)
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    src_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict[str, Any]] = mapped_column(Json)


class WindowState(Base):
    __tablename__ = "windows"
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    src_seq: Mapped[int] = mapped_column(BigInteger)


class DayClose(Base):
    __tablename__ = "day_closes"
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[str] = mapped_column(String(10), primary_key=True)
    closed_at: Mapped[str] = mapped_column(String(40))
    src_seq: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(Json)


class FollowupResult(Base):
    """A callback or rectification result recorded by centre staff (the kiosk's snapshot stays as sent)."""

    __tablename__ = "followup_results"
    __table_args__ = (Index("ix_followup_results_hall_fu", "hall_id", "followup_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    followup_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))  # callback | rectification | note
    result: Mapped[str] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(Stamp)


class ConfigDoc(Base):
    """A published configuration document (catalogue, guides, holidays) for all halls or one hall."""

    __tablename__ = "config_docs"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hall_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[Any] = mapped_column(Json)
    published_at: Mapped[datetime] = mapped_column(Stamp)


ENTITY_TABLES = {"ticket": Ticket, "handling": Handling, "rating": Rating, "followup": Followup}


class _Counts:
    """The counted figures of one scope of one hall-day, as ``compute_summary`` gives them."""

    issued: Mapped[int] = mapped_column(Integer, default=0)
    called: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    no_show: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    dissatisfied: Mapped[int] = mapped_column(Integer, default=0)
    unrated: Mapped[int] = mapped_column(Integer, default=0)
    ignored_presses: Mapped[int] = mapped_column(Integer, default=0)
    materials_incomplete: Mapped[int] = mapped_column(Integer, default=0)
    promised: Mapped[int] = mapped_column(Integer, default=0)
    print_failures: Mapped[int] = mapped_column(Integer, default=0)
    level_1: Mapped[int] = mapped_column(Integer, default=0)
    level_2: Mapped[int] = mapped_column(Integer, default=0)
    level_3: Mapped[int] = mapped_column(Integer, default=0)
    level_4: Mapped[int] = mapped_column(Integer, default=0)
    level_5: Mapped[int] = mapped_column(Integer, default=0)


class DayFigures(_Counts, Base):
    """One hall-day's figures for the hall, one window, one service or one staff member.

    The day's own means and P90s are the exact ones of the 日结; sums and the 10-second histograms
    (``{"bucket": count}``, bucket = whole seconds // 10) are what a period adds up."""

    __tablename__ = "day_figures"
    __table_args__ = (Index("ix_day_figures_date_scope", "business_date", "scope"),)
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # hall | window | service | staff
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' for the hall
    wait_n: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum_s: Mapped[float] = mapped_column(Float, default=0.0)
    service_n: Mapped[int] = mapped_column(Integer, default=0)
    service_sum_s: Mapped[float] = mapped_column(Float, default=0.0)
    wait_mean_s: Mapped[float | None] = mapped_column(Float)
    wait_p90_s: Mapped[float | None] = mapped_column(Float)
    service_mean_s: Mapped[float | None] = mapped_column(Float)
    service_p90_s: Mapped[float | None] = mapped_column(Float)
    evaluation_rate: Mapped[float | None] = mapped_column(Float)
    satisfaction_rate: Mapped[float | None] = mapped_column(Float)
    wait_hist: Mapped[dict[str, int]] = mapped_column(Json)
    service_hist: Mapped[dict[str, int]] = mapped_column(Json)


class MonthFigures(_Counts, Base):
    """A hall's calendar month of one scope and key: its hall-day rows added up (counts, sums, days and
    histograms), rewritten with them (``day_store.store_months``), so the street's month, quarter and year
    read a few thousand rows instead of every hall-day's, and a range covering most of a month reads the
    month row less its left-out days (``range_plan``). A month of a single day keeps that day's exact
    P90s (as the day row does)."""

    __tablename__ = "month_figures"
    __table_args__ = (Index("ix_month_figures_month_scope", "month", "scope"),)
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM of local business days
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    wait_n: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum_s: Mapped[float] = mapped_column(Float, default=0.0)
    service_n: Mapped[int] = mapped_column(Integer, default=0)
    service_sum_s: Mapped[float] = mapped_column(Float, default=0.0)
    wait_p90_s: Mapped[float | None] = mapped_column(Float)
    service_p90_s: Mapped[float | None] = mapped_column(Float)
    wait_hist: Mapped[dict[str, int]] = mapped_column(Json)
    service_hist: Mapped[dict[str, int]] = mapped_column(Json)


class HallDay(Base):
    """What the night page shows of a hall-day besides its figures; rewritten with them."""

    __tablename__ = "hall_days"
    __table_args__ = (Index("ix_hall_days_date", "business_date"),)
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[str] = mapped_column(String(10), primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    matches_kiosk: Mapped[bool | None] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(Stamp)
    hourly: Mapped[dict[str, Any]] = mapped_column(Json)
    """{"arrivals": {hour: n}, "wait_sum_min": {hour: minutes}, "wait_n": {hour: n}}, local hours."""
    service_names: Mapped[dict[str, str]] = mapped_column(Json)
    dissatisfied: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    """The 日结's list of dissatisfied ratings (rating id, number, window, service, level, time)."""
    error: Mapped[str | None] = mapped_column(String(200))
    """Why the day's records could not be computed (stored by a bug or before the contract): the pages
    show this hall so, and every other hall as usual."""


class FollowupFact(Base):
    """A 回访, 整改 or 承诺件 reduced to what the period rates need: when it was due, when it was done."""

    __tablename__ = "followup_facts"
    __table_args__ = (
        Index("ix_followup_facts_due", "due_date"),
        Index("ix_followup_facts_date", "hall_id", "business_date"),
        # the night page's overdue count reads the few not done of a street's years of facts
        Index(
            "ix_followup_facts_open_due",
            "due_date",
            postgresql_where=text("done_on IS NULL"),
            sqlite_where=text("done_on IS NULL"),
        ),
        Index("ix_followup_facts_hall_due", "hall_id", "due_date"),  # a hall's month, counted again
    )
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    business_date: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[str | None] = mapped_column(String(10))
    window_number: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[str | None] = mapped_column(String(64))
    done_on: Mapped[str | None] = mapped_column(String(10))
    """Local date it was done: the kiosk's done_at or the centre's first result marked done."""


class FollowupMonth(Base):
    """A hall's follow-up facts of one due month counted per window, staff member and kind: how many
    were due, how many done by their due day; rewritten with the facts
    (``day_store.store_followup_months``), so the street's months, quarters and years count a few
    thousand rows instead of every fact."""

    __tablename__ = "followup_months"
    __table_args__ = (Index("ix_followup_months_month", "month"),)
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM of the due date
    window_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' when nobody was signed in
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    due: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)


class StaffMember(Base):
    """A hall's staff member as its roster names them (learnt from sign-ins; no other personal data)."""

    __tablename__ = "staff_members"
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class DeviceStatus(Base):
    """The latest heartbeat of each kiosk (what the 实时/设备 page shows)."""

    __tablename__ = "device_status"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(Stamp)
    skew_seconds: Mapped[float | None] = mapped_column(Float)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    printer_state: Mapped[str] = mapped_column(String(20))
    outbox_backlog: Mapped[int] = mapped_column(Integer, default=0)
    disk_free_mb: Mapped[int | None] = mapped_column(Integer)
    software_version: Mapped[str] = mapped_column(String(40))
    config_version: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(Json)


class DeviceFault(Base):
    """A fault a kiosk's heartbeats reported, from the first heartbeat that showed it until the first
    one that no longer did (``cleared_at``)."""

    __tablename__ = "device_faults"
    __table_args__ = (Index("ix_device_faults_open", "cleared_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    hall_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))  # e.g. printer:paper_out, keypad:/dev/ttyUSB0
    detail: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(Stamp)
    last_seen_at: Mapped[datetime] = mapped_column(Stamp)
    cleared_at: Mapped[datetime | None] = mapped_column(Stamp)


class DirtyDay(Base):
    """A hall-day whose records changed since its figures were stored (a push during the day); the
    refresher, or the first page that needs it, recomputes it. A day's 日结 recomputes it at once."""

    __tablename__ = "dirty_days"
    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[str] = mapped_column(String(10), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(Stamp)
