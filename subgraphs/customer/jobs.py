"""arq jobs of the customer subgraph: the launch catalog sync from the admin outbox, the booking
outbox relay to the ledger and the ledger's answers about bookings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from arq import Retry, cron, func
from arq.connections import ArqRedis
from arq.typing import WorkerCoroutine
from arq.worker import Function
from pymongo.errors import PyMongoError

from astro.contracts import parse
from astro.contracts.jobs import APPLY_BOOKING_EVENT, APPLY_LAUNCH_EVENT
from astro.contracts.launches import LaunchScheduled, LaunchUpdated
from astro.contracts.parts import LaunchSnapshot
from astro.settings import Settings, get_settings
from subgraphs.customer.booking_sync import (
    BookingOutcome,
    apply_booking_change,
    redrive_unanswered,
    relay_outbox,
)
from subgraphs.customer.cache import invalidate_catalog
from subgraphs.customer.context import RELAY_JOB
from subgraphs.customer.store import (
    ApplyOutcome,
    LaunchDoc,
    apply_launch_change,
    init_store,
)
from subgraphs.customer.vip_announcements import announce_to_vips

log = logging.getLogger(__name__)


def catalog_entry(launch: LaunchSnapshot) -> LaunchDoc:
    """The catalog entry of a launch first seen in this state."""
    return LaunchDoc(**launch.model_dump(), seats_left=launch.total_seats - launch.seats_sold)


async def apply_launch_event(ctx: dict[str, Any], event: dict[str, Any]) -> ApplyOutcome:
    """Apply an admin launch event to the catalog, idempotently by ``event_id``.

    Returns what happened: ``inserted``, ``updated``, ``stale`` (older than the catalog entry) or
    ``duplicate`` (already applied). A malformed event raises ``pydantic.ValidationError``.
    """
    parsed = parse(event, LaunchScheduled, LaunchUpdated)
    assert isinstance(parsed, LaunchScheduled | LaunchUpdated)
    try:
        outcome = await apply_launch_change(
            parsed.event_id, parsed.topic, catalog_entry(parsed.launch)
        )
    except PyMongoError as exc:
        raise Retry(defer=_retry_delay(ctx)) from exc  # arq drops a job that raises
    # Whatever the outcome: a retry after a failed invalidation must still retire stale pages.
    await invalidate_catalog(_redis(ctx), _settings(ctx))
    if isinstance(parsed, LaunchScheduled):  # whatever the outcome too: announcing is idempotent
        await announce_to_vips(_redis(ctx), _settings(ctx), parsed)
    log.info(
        "launch event %s (%s, launch %s v%d): %s",
        parsed.event_id,
        parsed.topic,
        parsed.launch.id,
        parsed.launch.version,
        outcome,
    )
    return outcome


async def relay_customer_outbox(ctx: dict[str, Any]) -> int:
    """Publish the booking outbox to the ledger's jobs; returns how many entries went out."""
    queue = _redis(ctx)
    if queue is None:
        raise RuntimeError("relay_customer_outbox runs in an arq worker (it needs ctx['redis'])")
    return await relay_outbox(queue, _settings(ctx))


async def redrive_customer_outbox(ctx: dict[str, Any]) -> int:
    """Publish again the outbox entries the ledger has not answered in time, then relay."""
    queue = _redis(ctx)
    if queue is None:
        raise RuntimeError("redrive_customer_outbox runs in an arq worker (it needs ctx['redis'])")
    await redrive_unanswered(queue, datetime.now(UTC))
    return await relay_customer_outbox(ctx)


async def apply_booking_event(ctx: dict[str, Any], event: dict[str, Any]) -> BookingOutcome:
    """Apply a ledger event about a booking (``booking.confirmed``, ``booking.rejected``,
    ``booking.cancelled``), idempotently by ``event_id``."""
    try:
        outcome, released_on = await apply_booking_change(event)
    except PyMongoError as exc:
        # arq drops a job that raises; a store hiccup must not lose the ledger's answer.
        raise Retry(defer=_retry_delay(ctx)) from exc
    if released_on is not None:
        await invalidate_catalog(_redis(ctx), _settings(ctx))
    log.info(
        "booking event %s (%s, booking %s): %s",
        event.get("event_id"),
        event.get("topic"),
        event.get("booking_id"),
        outcome,
    )
    return outcome


def _retry_delay(ctx: dict[str, Any]) -> int:
    """Seconds before the next try of a job whose store failed: 2, 4, 8, 16, then 30."""
    return min(int(2 ** int(ctx.get("job_try", 1))), 30)


def _settings(ctx: dict[str, Any]) -> Settings:
    settings = ctx.get("settings")
    return settings if isinstance(settings, Settings) else get_settings()


def _redis(ctx: dict[str, Any]) -> ArqRedis | None:
    redis = ctx.get("redis")
    return redis if isinstance(redis, ArqRedis) else None


async def startup(ctx: dict[str, Any]) -> None:
    """Worker startup: bind the customer store; its client goes in ``ctx["customer"]``."""
    ctx["customer"] = await init_store(_settings(ctx))


async def shutdown(ctx: dict[str, Any]) -> None:
    """Worker shutdown: close the client opened by :func:`startup`."""
    client = ctx.pop("customer", None)
    if client is not None:
        await client.close()


functions: list[WorkerCoroutine | Function] = [
    func(apply_launch_event, name=APPLY_LAUNCH_EVENT),
    func(apply_booking_event, name=APPLY_BOOKING_EVENT),
    # Nudges share one job id (see CustomerContext.request_relay): with no result kept, a rush
    # of bookings queues one relay at a time instead of one per booking.
    func(relay_customer_outbox, name=RELAY_JOB, keep_result=0),
]
cron_jobs = [
    # Safety net for bookings whose immediate relay request was lost (or no worker was up).
    cron(
        relay_customer_outbox,
        name="customer:relay_outbox",
        second=set(range(60)),
        timeout=60,
        run_at_startup=True,
    ),
    cron(
        redrive_customer_outbox,
        name="customer:redrive_outbox",
        second=set(range(0, 60, 5)),
        timeout=60,
    ),
]
