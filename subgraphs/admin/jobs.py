"""arq jobs of the admin subgraph: the booking ledger's inbound events, the outbox relay and the
daily schedules (launch viability, overdue invoices).

``astroctl.worker`` collects ``functions``, ``cron_jobs``, ``startup`` and ``shutdown`` from here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from arq import Retry, cron, func
from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from arq.typing import WorkerCoroutine
from arq.worker import Function

from astro.settings import Settings, get_settings
from subgraphs.admin import invoices, ledger, viability
from subgraphs.admin.events import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_REJECTED,
    INVOICE_ISSUED,
    LAUNCH_SCHEDULED,
    LAUNCH_UPDATED,
    LAUNCH_VIABILITY_FLAGGED,
    REFUND_PROCESSED,
)
from subgraphs.admin.resolvers import open_queue, request_relay
from subgraphs.admin.store import Database, OutboxEvent, migrate

log = logging.getLogger(__name__)

BATCH_SIZE = 100

APPLY_LAUNCH = "apply_launch_event"  # customer subgraph: the catalog
APPLY_BOOKING = "apply_booking_event"  # customer subgraph: the customer's bookings
NOTIFY = "notify_event"  # system subgraph: the emails

# Outbox topic → the arq jobs (each owned by the subgraph that consumes the event) it goes to.
# A topic not listed here stays unpublished in the outbox and never holds up the listed ones.
EVENT_JOBS: dict[str, tuple[str, ...]] = {
    LAUNCH_SCHEDULED: (APPLY_LAUNCH,),
    LAUNCH_UPDATED: (APPLY_LAUNCH, NOTIFY),
    BOOKING_CONFIRMED: (APPLY_BOOKING, NOTIFY),
    BOOKING_REJECTED: (APPLY_BOOKING, NOTIFY),
    BOOKING_CANCELLED: (APPLY_BOOKING, NOTIFY),
    LAUNCH_VIABILITY_FLAGGED: (NOTIFY,),
    INVOICE_ISSUED: (NOTIFY,),
    REFUND_PROCESSED: (NOTIFY,),
}


def event_job_id(event_id: object, job: str, position: int) -> str:
    """The arq job id of ``event_id``'s ``job``: ``event:<event id>`` for a topic's first job
    (the id the catalog sync has always used), ``event:<event id>:<job>`` for the others."""
    return f"event:{event_id}" if position == 0 else f"event:{event_id}:{job}"


@dataclass(frozen=True, slots=True)
class AdminWorker:
    """What the admin jobs share in a worker (``ctx["admin"]``)."""

    settings: Settings
    db: Database
    queue: ArqRedis
    owns_queue: bool


async def startup(ctx: dict[str, Any]) -> None:
    """Migrate the ledger and open its engine; reuse the worker's arq pool when there is one.

    Settings come from ``ctx["settings"]`` when the worker put them there, else the environment.
    """
    settings = ctx.get("settings")
    if not isinstance(settings, Settings):
        settings = get_settings()
    await migrate(settings)
    worker_pool = ctx.get("redis")
    # The worker's own pool enqueues with the worker's serializer; a pool of our own otherwise.
    queue = worker_pool if isinstance(worker_pool, ArqRedis) else await open_queue(settings)
    if queue is None:
        raise RuntimeError("ASTRO_REDIS_URL is not set: the outbox relay needs Redis.")
    ctx["admin"] = AdminWorker(settings, Database.open(settings), queue, queue is not worker_pool)


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what :func:`startup` opened."""
    state: AdminWorker | None = ctx.pop("admin", None)
    if state is None:
        return
    await state.db.close()
    if state.owns_queue:
        await state.queue.aclose()


async def _relay_batch(state: AdminWorker) -> int:
    async with state.db.sessions.begin() as session:
        events = (
            await session.scalars(
                sa.select(OutboxEvent)
                .where(
                    OutboxEvent.published_at.is_(None),
                    OutboxEvent.topic.in_(list(EVENT_JOBS)),
                )
                .order_by(OutboxEvent.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for event in events:
            # One job per consumer, each under its own id. The ids make a re-relay after a crash
            # a no-op while arq remembers the jobs; after that each consumer's own event-id
            # check keeps it idempotent.
            for position, job in enumerate(EVENT_JOBS[event.topic]):
                await state.queue.enqueue_job(
                    job,
                    event.payload,
                    _job_id=event_job_id(event.event_id, job, position),
                    _queue_name=(
                        state.settings.notification_queue
                        if job == NOTIFY
                        else state.settings.queue_name
                    ),
                )
        if events:
            await session.execute(
                sa.update(OutboxEvent)
                .where(OutboxEvent.id.in_([event.id for event in events]))
                .values(published_at=sa.func.now())
            )
    return len(events)


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Publish unpublished outbox events, oldest first; returns how many were published.

    Each batch is claimed with ``FOR UPDATE SKIP LOCKED`` (relays may run side by side) and marked
    published in the transaction that enqueued it: if an enqueue fails, the batch stays
    unpublished and a later run retries it.
    """
    state: AdminWorker = ctx["admin"]
    published = 0
    while True:
        count = await _relay_batch(state)
        published += count
        if count < BATCH_SIZE:
            return published


async def record_booking(ctx: dict[str, Any], event: dict[str, Any]) -> str:
    """Record a customer's ``booking.requested`` event in the ledger (idempotent by booking id)."""
    state: AdminWorker = ctx["admin"]
    outcome = await ledger.record_booking(state.db, event)
    if outcome != "duplicate":
        await request_relay(state.queue, state.settings)
    else:
        # Asked again: the customer store has not seen the answer (its job may have been
        # dropped after its last try); send the answer again.
        await _resend_booking_answer(state, str(event.get("booking", {}).get("id", "")))
    return outcome


async def _resend_booking_answer(state: AdminWorker, booking_id: str) -> None:
    async with state.db.sessions() as session:
        answer = await session.scalar(
            sa.select(OutboxEvent)
            .where(
                OutboxEvent.topic.in_([BOOKING_CONFIRMED, BOOKING_REJECTED]),
                OutboxEvent.payload["booking_id"].astext == booking_id,
            )
            .order_by(OutboxEvent.id.desc())
            .limit(1)
        )
    if answer is None or answer.published_at is None:
        return  # not answered yet, or the relay is about to publish the answer
    if await state.queue.exists(job_key_prefix + event_job_id(answer.event_id, APPLY_BOOKING, 0)):
        return  # the answer is still queued (a backlog): it will be applied
    # A fresh job id (arq refuses the original one while it remembers that job), at most one
    # a minute however often the customer store asks.
    await state.queue.enqueue_job(
        APPLY_BOOKING,
        answer.payload,
        _job_id=f"event:{answer.event_id}:resent:{int(time.time() // 60)}",
        _queue_name=state.settings.queue_name,
    )
    log.info("booking %s: answer %s sent again", booking_id, answer.event_id)


async def record_cancellation(ctx: dict[str, Any], event: dict[str, Any]) -> str:
    """Record a customer's ``booking.cancel_requested`` event; retried until the booking exists."""
    state: AdminWorker = ctx["admin"]
    try:
        outcome = await ledger.record_cancellation(state.db, event)
    except ledger.BookingNotYetRecorded:
        raise Retry(defer=1) from None
    if outcome == "cancelled":
        await request_relay(state.queue, state.settings)
    return outcome


async def check_launch_viability(ctx: dict[str, Any]) -> int:
    """Flag launches under 30 % sold three calendar months before their date (once each) and
    write ``launch.viability_flagged`` for their suppliers; returns how many were flagged."""
    state: AdminWorker = ctx["admin"]
    flagged = await viability.flag_launches(state.db, datetime.now(UTC))
    if flagged:
        log.info("viability: flagged %d launch(es): %s", len(flagged), flagged)
    return len(flagged)


async def mark_overdue_invoices(ctx: dict[str, Any]) -> int:
    """Set unpaid invoices whose due date has passed to OVERDUE; returns how many changed."""
    state: AdminWorker = ctx["admin"]
    async with state.db.sessions.begin() as session:
        changed = await invoices.mark_overdue(session, datetime.now(UTC).date())
    if changed:
        log.info("invoices: %d marked OVERDUE", len(changed))
    return len(changed)


functions: list[WorkerCoroutine | Function] = [
    # Requested under one job id (see ``request_relay``): keep no result, or arq would refuse
    # the next request while it remembers this one.
    func(relay_outbox, keep_result=0),
    record_booking,
    record_cancellation,
    check_launch_viability,
    mark_overdue_invoices,
]
cron_jobs = [
    # Safety net for events whose immediate relay request was lost.
    cron(relay_outbox, name="admin:relay_outbox", second=set(range(60)), timeout=60),
    # Daily, early UTC morning; both are idempotent, so a rerun or a missed day is harmless.
    cron(
        check_launch_viability,
        name="admin:check_launch_viability",
        hour={2},
        minute={10},
        timeout=600,
    ),
    cron(
        mark_overdue_invoices,
        name="admin:mark_overdue_invoices",
        hour={2},
        minute={20},
        timeout=600,
    ),
]
