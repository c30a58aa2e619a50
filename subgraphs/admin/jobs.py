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

from astro import outbox
from astro.contracts import parse
from astro.contracts.bookings import BookingConfirmed, BookingRejected, BookingRequested
from astro.contracts.jobs import (
    APPLY_BOOKING_EVENT,
    RECORD_BOOKING,
    RECORD_CANCELLATION,
    job_id,
    queue_for,
)
from astro.settings import Settings, get_settings
from subgraphs.admin import invoices, ledger, viability
from subgraphs.admin.outbox import LedgerOutbox
from subgraphs.admin.resolvers import RELAY_JOB, open_queue, request_relay
from subgraphs.admin.store import Database, OutboxEvent, migrate

log = logging.getLogger(__name__)

BATCH_SIZE = outbox.BATCH_SIZE


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


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Publish unpublished outbox events, oldest first; returns how many were published.

    If an enqueue fails, the batch stays unpublished and a later run retries it
    (:mod:`astro.outbox`).
    """
    state: AdminWorker = ctx["admin"]
    return await outbox.relay(LedgerOutbox(state.db), state.queue, state.settings)


async def record_booking(ctx: dict[str, Any], event: dict[str, Any]) -> str:
    """Record a customer's ``booking.requested`` event in the ledger (idempotent by booking id)."""
    state: AdminWorker = ctx["admin"]
    outcome = await ledger.record_booking(state.db, event)
    if outcome != "duplicate":
        await request_relay(state.queue, state.settings)
    else:
        # Asked again: the customer store has not seen the answer (its job may have been
        # dropped after its last try); send the answer again.
        request = parse(event, BookingRequested)
        assert isinstance(request, BookingRequested)
        await _resend_booking_answer(state, str(request.booking.id))
    return outcome


async def _resend_booking_answer(state: AdminWorker, booking_id: str) -> None:
    async with state.db.sessions() as session:
        answer = await session.scalar(
            sa.select(OutboxEvent)
            .where(
                OutboxEvent.topic.in_([BookingConfirmed.TOPIC, BookingRejected.TOPIC]),
                OutboxEvent.payload["booking_id"].astext == booking_id,
            )
            .order_by(OutboxEvent.id.desc())
            .limit(1)
        )
    if answer is None or answer.published_at is None:
        return  # not answered yet, or the relay is about to publish the answer
    if await state.queue.exists(
        job_key_prefix + job_id(answer.topic, answer.event_id, APPLY_BOOKING_EVENT)
    ):
        return  # the answer is still queued (a backlog): it will be applied
    # A fresh job id (arq refuses the original one while it remembers that job), at most one
    # a minute however often the customer store asks.
    await state.queue.enqueue_job(
        APPLY_BOOKING_EVENT,
        answer.payload,
        _job_id=job_id(
            answer.topic,
            answer.event_id,
            APPLY_BOOKING_EVENT,
            publication=f"resent:{int(time.time() // 60)}",
        ),
        _queue_name=queue_for(APPLY_BOOKING_EVENT, state.settings),
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
    func(relay_outbox, name=RELAY_JOB, keep_result=0),
    func(record_booking, name=RECORD_BOOKING),
    func(record_cancellation, name=RECORD_CANCELLATION),
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
