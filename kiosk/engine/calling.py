"""Window operations: call next, call a specific ticket, recall, start, no-show, hold, transfer,
pause and resume. One code path whoever presses the button (keypad, touch screen, CLI)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import models as m
from kiosk.engine import staffing
from kiosk.engine.clock import as_utc
from kiosk.engine.context import Context
from kiosk.engine.errors import (
    DomainError,
    QueueEmpty,
    RecallLimitReached,
    TicketNotCallable,
    WindowBusy,
    WindowPaused,
)
from kiosk.engine.notices import Notice, NoticeKind
from kiosk.engine.rows import (
    close_open_slot,
    current_handling,
    end_handling,
    regular_calls_since_priority,
    require_current,
    window_state,
)
from sync.contract.enums import Outcome, TicketStatus, WindowStatus


@dataclass(frozen=True)
class CallResult:
    window: int
    number: str
    ticket_id: str
    handling_id: str
    service_code: str
    priority: str | None
    recall: bool = False


@dataclass(frozen=True)
class DeskView:
    """What the staff screen's caller needs to offer a window more than its keys: who is being served,
    who waits for this window (to call one out of turn) and whom it set aside."""

    window: int
    paused: bool
    current_number: str | None
    current_service: str | None
    waiting: list[str]
    held: list[str]


def desk_view(s: Session, ctx: Context, window: int, limit: int = 30) -> DeskView:
    ctx.check_window(window)
    ws = s.get(m.WindowState, window)
    h = current_handling(s, ws) if ws is not None else None
    t = s.get(m.Ticket, h.ticket_id) if h is not None else None
    today = ctx.today()

    def numbers(*where: Any) -> list[str]:
        stmt = select(m.Ticket.number).where(m.Ticket.business_date == today, *where)
        return list(s.scalars(stmt.order_by(m.Ticket.queue_order).limit(limit)))

    return DeskView(
        window=window,
        paused=ws is not None and ws.status == WindowStatus.PAUSED,
        current_number=t.number if t else None,
        current_service=t.service_code if t else None,
        waiting=numbers(
            m.Ticket.service_code.in_(ctx.config.window(window).services),
            m.Ticket.status == TicketStatus.WAITING,
        ),
        held=numbers(m.Ticket.status == TicketStatus.HELD, m.Ticket.held_by_window == window),
    )


def _require_free(s: Session, ctx: Context, window: int) -> m.WindowState:
    ws = window_state(s, ctx, window)
    if ws.status == WindowStatus.PAUSED:
        raise WindowPaused(f"{window} 号窗口已暂停服务，请先恢复")
    h = current_handling(s, ws)
    if h is not None:
        t = s.get(m.Ticket, h.ticket_id)
        raise WindowBusy(f"{window} 号窗口正在办理 {t.number if t else ''}，请先办结或标记过号")
    return ws


def _waiting(s: Session, ctx: Context, service_code: str) -> list[m.Ticket]:
    return list(
        s.scalars(
            select(m.Ticket)
            .where(
                m.Ticket.business_date == ctx.today(),
                m.Ticket.service_code == service_code,
                m.Ticket.status == TicketStatus.WAITING,
            )
            .order_by(m.Ticket.queue_order)
        )
    )


def pick_next(s: Session, ctx: Context, window: int) -> m.Ticket | None:
    """The window's services in its order, then the priority policy, then arrival — except that a
    ticket kept waiting past `queue.aging_minutes` comes first, so a service listed last at a busy
    window is not starved through the morning peak."""
    codes = ctx.config.window(window).services
    queues = {code: _waiting(s, ctx, code) for code in codes}
    aging = ctx.config.queue.aging_minutes
    if aging:
        limit = ctx.now() - dt.timedelta(minutes=aging)
        overdue = [q[0] for q in queues.values() if q and as_utc(q[0].issued_at) <= limit]
        if overdue:
            oldest = min(overdue, key=lambda t: t.queue_order)
            return _by_priority_policy(s, ctx, oldest.service_code, queues[oldest.service_code])
    for code in codes:
        if queues[code]:
            return _by_priority_policy(s, ctx, code, queues[code])
    return None


def _by_priority_policy(s: Session, ctx: Context, code: str, queue: list[m.Ticket]) -> m.Ticket:
    policy = ctx.config.priority
    prio = [t for t in queue if t.priority is not None]
    regular = [t for t in queue if t.priority is None]
    if not prio:
        return regular[0]
    if not regular or policy.mode == "first":
        return prio[0]
    if regular_calls_since_priority(s, ctx, code) >= policy.regular_per_priority:
        return prio[0]
    return regular[0]


def _start_call(s: Session, ctx: Context, ws: m.WindowState, ticket: m.Ticket) -> CallResult:
    now = ctx.now()
    closed = close_open_slot(s, ctx, ws.number, reason="next_called")
    h = m.Handling(
        id=str(uuid.uuid4()),
        ticket_id=ticket.id,
        business_date=ctx.today(now),
        window_number=ws.number,
        service_code=ticket.service_code,
        called_at=now,
        last_called_at=now,
        recalls=0,
        missing_materials=[],
        priority_call=ticket.priority is not None,
        staff_id=staffing.staff_at(s, ws.number),
    )
    s.add(h)
    ticket.status = TicketStatus.CALLED
    ticket.held_by_window = None
    s.flush()
    ws.current_handling_id = h.id
    ws.updated_at = now
    payload = {"ticket": ctx.snap_ticket(ticket), "handling": ctx.snap_handling(h)}
    if closed is not None:
        payload["rating"] = ctx.snap_rating(closed)
    ctx.emit(s, "handling.called", now, **payload)
    ctx.notify(s, Notice(NoticeKind.CALLED, ws.number, ticket.number, ticket.id, ticket.service_code))
    return CallResult(ws.number, ticket.number, ticket.id, h.id, ticket.service_code, ticket.priority)


def call_next(s: Session, ctx: Context, window: int) -> CallResult:
    ws = _require_free(s, ctx, window)
    ticket = pick_next(s, ctx, window)
    if ticket is None:
        raise QueueEmpty(f"{window} 号窗口的业务暂无人等候")
    return _start_call(s, ctx, ws, ticket)


def call_specific(s: Session, ctx: Context, window: int, number: str) -> CallResult:
    ws = _require_free(s, ctx, window)
    ticket = s.scalar(
        select(m.Ticket).where(m.Ticket.business_date == ctx.today(), m.Ticket.number == number)
    )
    if ticket is None:
        raise TicketNotCallable(f"今天没有 {number} 号")
    if ticket.service_code not in ctx.config.window(window).services:
        raise TicketNotCallable(f"{number} 号的业务不在 {window} 号窗口办理，请先转办")
    if ticket.status == TicketStatus.HELD and ticket.held_by_window not in (None, window):
        raise TicketNotCallable(f"{number} 号挂起在 {ticket.held_by_window} 号窗口")
    if ticket.status not in (TicketStatus.WAITING, TicketStatus.HELD):
        raise TicketNotCallable(f"{number} 号当前状态不能叫号（{ticket.status}）")
    return _start_call(s, ctx, ws, ticket)


def call_held(s: Session, ctx: Context, window: int) -> CallResult:
    ws = _require_free(s, ctx, window)
    ticket = s.scalar(
        select(m.Ticket)
        .where(
            m.Ticket.business_date == ctx.today(),
            m.Ticket.status == TicketStatus.HELD,
            m.Ticket.held_by_window == window,
        )
        .order_by(m.Ticket.queue_order)
    )
    if ticket is None:
        raise QueueEmpty(f"{window} 号窗口没有挂起的号")
    return _start_call(s, ctx, ws, ticket)


def recall(s: Session, ctx: Context, window: int) -> CallResult:
    _, h, t = require_current(s, ctx, window)
    if h.started_at is not None:
        raise DomainError(f"{t.number} 已在办理中，无需重呼")
    limit = ctx.config.queue.recall_limit
    if h.recalls >= limit:
        raise RecallLimitReached(f"{t.number} 已重呼 {limit} 次，可标记过号")
    now = ctx.now()
    h.recalls += 1
    h.last_called_at = now
    s.flush()
    ctx.emit(s, "handling.recalled", now, handling=ctx.snap_handling(h))
    ctx.notify(s, Notice(NoticeKind.CALLED, window, t.number, t.id, t.service_code, recall=True))
    return CallResult(window, t.number, t.id, h.id, t.service_code, t.priority, recall=True)


def start(s: Session, ctx: Context, window: int) -> None:
    _, h, _ = require_current(s, ctx, window)
    if h.started_at is None:
        now = ctx.now()
        h.started_at = now
        s.flush()
        ctx.emit(s, "handling.started", now, handling=ctx.snap_handling(h))


def no_show(s: Session, ctx: Context, window: int, requeue: bool = False) -> bool:
    """Mark the called resident absent (过号). Returns True when the ticket was put back in line."""
    ws, h, t = require_current(s, ctx, window)
    if h.started_at is not None:
        raise DomainError(f"{t.number} 已开始办理，不能标记过号")
    end_handling(s, ctx, ws, h, Outcome.NO_SHOW)
    earlier = s.scalar(
        select(m.Handling.id).where(
            m.Handling.ticket_id == t.id, m.Handling.outcome == Outcome.NO_SHOW, m.Handling.id != h.id
        )
    )
    # Only one second chance: a ticket requeued once and missed again ends as a no-show.
    requeued = requeue and earlier is None
    if requeued:
        t.status = TicketStatus.WAITING
        t.queue_order = _order_behind(s, ctx, t, ctx.config.queue.no_show_requeue_behind)
    else:
        t.status = TicketStatus.NO_SHOW
    s.flush()
    ctx.emit(s, "handling.no_show", ctx.now(), ticket=ctx.snap_ticket(t), handling=ctx.snap_handling(h))
    ctx.notify(
        s, Notice(NoticeKind.NO_SHOW, window, t.number, t.id, t.service_code, detail={"requeued": requeued})
    )
    return requeued


def _order_behind(s: Session, ctx: Context, t: m.Ticket, k: int) -> float:
    queue = [x for x in _waiting(s, ctx, t.service_code) if x.id != t.id]
    if k == 0 or not queue:
        return queue[0].queue_order - 0.5 if queue else t.queue_order
    if len(queue) <= k:
        return queue[-1].queue_order + 0.5
    return (queue[k - 1].queue_order + queue[k].queue_order) / 2


def hold(s: Session, ctx: Context, window: int) -> None:
    """Set the resident aside (挂起), e.g. to fetch a copy; the window can call others meanwhile."""
    ws, h, t = require_current(s, ctx, window)
    end_handling(s, ctx, ws, h, Outcome.HELD)
    t.status = TicketStatus.HELD
    t.held_by_window = window
    s.flush()
    ctx.emit(s, "handling.held", ctx.now(), ticket=ctx.snap_ticket(t), handling=ctx.snap_handling(h))
    ctx.notify(s, Notice(NoticeKind.HELD, window, t.number, t.id, t.service_code))


def transfer(s: Session, ctx: Context, window: int, to_service: str) -> None:
    """Send the ticket to another service's queue, keeping its number and arrival place."""
    target = ctx.service(to_service)
    ws, h, t = require_current(s, ctx, window)
    if target.code == t.service_code:
        raise DomainError(f"{t.number} 已是{target.name}，无需转办")
    end_handling(s, ctx, ws, h, Outcome.TRANSFERRED)
    t.service_code = target.code
    t.status = TicketStatus.WAITING
    s.flush()
    ctx.emit(s, "ticket.transferred", ctx.now(), ticket=ctx.snap_ticket(t), handling=ctx.snap_handling(h))
    # The window is free and another service's queue grew: boards and keypad counts must hear of it.
    ctx.notify(s, Notice(NoticeKind.TRANSFERRED, window, t.number, t.id, t.service_code))


def pause(s: Session, ctx: Context, window: int) -> None:
    ws = _require_free(s, ctx, window)
    now = ctx.now()
    ws.status = WindowStatus.PAUSED
    ws.updated_at = now
    ctx.emit(
        s,
        "window.paused",
        now,
        window={"hall_id": ctx.hall_id, "number": window, "status": WindowStatus.PAUSED},
    )
    ctx.notify(s, Notice(NoticeKind.PAUSED, window))


def resume(s: Session, ctx: Context, window: int) -> None:
    ws = window_state(s, ctx, window)
    if ws.status != WindowStatus.PAUSED:
        raise DomainError(f"{window} 号窗口没有暂停")
    now = ctx.now()
    ws.status = WindowStatus.OPEN
    ws.updated_at = now
    ctx.emit(
        s,
        "window.resumed",
        now,
        window={"hall_id": ctx.hall_id, "number": window, "status": WindowStatus.OPEN},
    )
    ctx.notify(s, Notice(NoticeKind.RESUMED, window))
