"""arq jobs of the admin subgraph: the booking ledger's inbound events, the outbox relay and the
daily schedules (launch viability, overdue invoices).

``astro.worker`` collects ``functions``, ``cron_jobs``, ``startup`` and ``shutdown`` from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from arq import Retry, cron
from arq.connections import ArqRedis
from arq.typing import WorkerCoroutine

from astro.settings import Settings, get_settings
from subgraphs.admin import invoices, ledger, viability
from subgraphs.admin.events import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_REJECTED,
    LAUNCH_SCHEDULED,
    LAUNCH_UPDATED,
)
from subgraphs.admin.resolvers import open_queue, request_relay
from subgraphs.admin.store import Database, OutboxEvent, migrate

log = logging.getLogger(__name__)

BATCH_SIZE = 100

# Outbox topic → the arq job (owned by the subgraph that mirrors it) that applies the event.
# A topic not listed here (e.g. ``launch.viability_flagged``, for a notification job still to come)
# stays unpublished in the outbox and never holds up the topics that are listed.
EVENT_JOBS = {
    LAUNCH_SCHEDULED: "apply_launch_event",
    LAUNCH_UPDATED: "apply_launch_event",
    BOOKING_CONFIRMED: "apply_booking_event",
    BOOKING_REJECTED: "apply_booking_event",
    BOOKING_CANCELLED: "apply_booking_event",
}


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
            # The job id makes a re-relay after a crash a no-op while arq remembers the job;
            # after that the consumer's own event-id check keeps it idempotent.
            await state.queue.enqueue_job(
                EVENT_JOBS[event.topic],
                event.payload,
                _job_id=f"event:{event.event_id}",
                _queue_name=state.settings.queue_name,
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
    return outcome


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


functions: list[WorkerCoroutine] = [
    relay_outbox,
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
