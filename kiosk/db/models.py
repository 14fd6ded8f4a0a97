"""The hall's durable record (SQLAlchemy 2.0 typed ORM).

Instants are UTC; every row of the day also carries its business date in the hall's timezone, so a
ticket issued at 00:30 Shanghai time never lands on the previous UTC day. Nothing is deleted at
close of day: history is kept and numbering restarts because numbers are unique per date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict[str, Any]: JSON, list[str]: JSON}


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("business_date", "number", name="uq_ticket_number_per_day"),
        UniqueConstraint("business_date", "prefix", "seq_no", name="uq_ticket_seq_per_day"),
        Index("ix_ticket_queue", "business_date", "service_code", "status", "queue_order"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[dt.date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(8))
    prefix: Mapped[str] = mapped_column(String(1))
    seq_no: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str | None] = mapped_column(String(32), default=None)
    issued_at: Mapped[dt.datetime]
    # Position in the service's queue; arrival order, moved back on a no-show requeue.
    queue_order: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    held_by_window: Mapped[int | None] = mapped_column(Integer, default=None)
    print_status: Mapped[str] = mapped_column(String(16), default="pending")
    print_error: Mapped[str | None] = mapped_column(Text, default=None)
    reprints: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the touch screen sends a request id, so a double tap returns the same ticket.
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class Handling(Base):
    """One window's handling of a ticket: called → (recalled) → started → finished with an outcome."""

    __tablename__ = "handlings"
    __table_args__ = (Index("ix_handling_window", "business_date", "window_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    window_number: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(64))
    called_at: Mapped[dt.datetime]
    last_called_at: Mapped[dt.datetime]
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(24), default=None)
    missing_materials: Mapped[list[str]] = mapped_column(default=list)
    promised_due: Mapped[dt.date | None] = mapped_column(Date, default=None)
    priority_call: Mapped[bool] = mapped_column(default=False)
    staff_id: Mapped[str | None] = mapped_column(String(16), default=None)
    """The 工号 signed in at the window when it called (none: nobody was signed in)."""


class Rating(Base):
    """The one rating slot a finished service opens (一次一评)."""

    __tablename__ = "ratings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    handling_id: Mapped[str] = mapped_column(ForeignKey("handlings.id"), unique=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    window_number: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    level: Mapped[int | None] = mapped_column(Integer, default=None)
    rated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    source: Mapped[str | None] = mapped_column(String(16), default=None)
    satisfied: Mapped[bool | None] = mapped_column(default=None)
    dissatisfied: Mapped[bool | None] = mapped_column(default=None)
    ignored_presses: Mapped[int] = mapped_column(Integer, default=0)
    staff_id: Mapped[str | None] = mapped_column(String(16), default=None)
    """The staff member who served (the handling's), even when rated after they signed out."""


class IgnoredPress(Base):
    """A rating key pressed when no slot could take it: counted, never applied."""

    __tablename__ = "ignored_presses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    window_number: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(String(16))


class FollowUp(Base):
    """A 回访 or 整改 task for a dissatisfied rating, or a 承诺件 deadline."""

    __tablename__ = "followups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    business_date: Mapped[dt.date] = mapped_column(Date)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    handling_id: Mapped[str] = mapped_column(ForeignKey("handlings.id"))
    rating_id: Mapped[str | None] = mapped_column(ForeignKey("ratings.id"), default=None)
    window_number: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    result: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class WindowState(Base):
    __tablename__ = "window_states"

    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    current_handling_id: Mapped[str | None] = mapped_column(ForeignKey("handlings.id"), default=None)
    updated_at: Mapped[dt.datetime]


class DayClose(Base):
    __tablename__ = "day_closes"

    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[dt.datetime]
    removed: Mapped[int] = mapped_column(Integer, default=0)


class OutboxEvent(Base):
    """Append-only log of every change, for sync. `seq` is gap-free per kiosk: the single writer
    assigns max+1 inside the transaction that makes the change, so a rollback leaves no hole."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    hall_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[dt.datetime]
    business_date: Mapped[dt.date] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class SyncState(Base):
    """What the street centre has acknowledged; one row."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    acked_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    config_version: Mapped[int] = mapped_column(Integer, default=0)


class StaffShift(Base):
    """A staff member signed in at a window, from sign-in to sign-out (or the close of day)."""

    __tablename__ = "staff_shifts"
    __table_args__ = (Index("ix_staff_shift_open", "window_number", "ended_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    window_number: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str] = mapped_column(String(16))
    staff_name: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)


class KeypadPress(Base):
    """The last key frame of each keypad whose operation was committed, written in that operation's
    own transaction. After a restart the keypad driver reads it, so a keypad resending a frame whose
    acknowledgement the power cut swallowed is acknowledged again instead of acted on twice."""

    __tablename__ = "keypad_presses"

    bus: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    frame: Mapped[str] = mapped_column(String(64))
    """The frame's bytes as hex, exactly as received."""
    committed_at: Mapped[dt.datetime]
    """Wall-clock UTC of the commit (not the engine's clock): the driver compares it with its own."""
    presses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Presses of this keypad committed so far (refusals included): the power-cut test compares it
    with the presses the keypad saw acknowledged."""
