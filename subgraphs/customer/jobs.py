"""arq jobs of the customer subgraph: the launch catalog sync from the admin outbox, the booking
outbox relay to the ledger and the ledger's answers about bookings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from arq import Retry, cron, func
from arq.connections import ArqRedis
from arq.typing import WorkerCoroutine
from arq.worker import Function
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field
from pymongo.errors import PyMongoError

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
    CatalogStatus,
    LaunchDoc,
    RocketInfo,
    SpaceportInfo,
    SupplierInfo,
    apply_launch_change,
    init_store,
)
from subgraphs.customer.vip_announcements import announce_to_vips

log = logging.getLogger(__name__)


def _refuse_float(value: object) -> object:
    # The contract sends prices as decimal strings; a float has already lost cents.
    if isinstance(value, float):
        raise ValueError("price_per_seat must be a decimal string, not a float")
    return value


class LaunchSnapshot(BaseModel):
    """A launch's state as the admin outbox publishes it."""

    id: str
    slug: str
    destination: str
    launch_date: AwareDatetime
    price_per_seat: Annotated[Decimal, BeforeValidator(_refuse_float), Field(gt=0)]
    total_seats: int = Field(ge=0)
    seats_sold: int = Field(ge=0)
    status: CatalogStatus
    rocket: RocketInfo
    supplier: SupplierInfo
    spaceport: SpaceportInfo
    version: int

    def to_document(self) -> LaunchDoc:
        """The catalog entry of a launch first seen in this state."""
        return LaunchDoc(
            **self.model_dump(),
            seats_left=self.total_seats - self.seats_sold,
        )


class LaunchEvent(BaseModel):
    """An admin outbox event about a launch (the sync contract with the admin subgraph)."""

    event_id: str = Field(min_length=1)
    topic: Literal["launch.scheduled", "launch.updated"]
    launch: LaunchSnapshot


async def apply_launch_event(ctx: dict[str, Any], event: dict[str, Any]) -> ApplyOutcome:
    """Apply an admin launch event to the catalog, idempotently by ``event_id``.

    Returns what happened: ``inserted``, ``updated``, ``stale`` (older than the catalog entry) or
    ``duplicate`` (already applied). A malformed event raises ``pydantic.ValidationError``.
    """
    parsed = LaunchEvent.model_validate(event)
    try:
        outcome = await apply_launch_change(
            parsed.event_id, parsed.topic, parsed.launch.to_document()
        )
    except PyMongoError as exc:
        raise Retry(defer=_retry_delay(ctx)) from exc  # arq drops a job that raises
    # Whatever the outcome: a retry after a failed invalidation must still retire stale pages.
    await invalidate_catalog(_redis(ctx), _settings(ctx))
    if parsed.topic == "launch.scheduled":  # whatever the outcome too: announcing is idempotent
        await announce_to_vips(_redis(ctx), _settings(ctx), event)
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
    return await relay_outbox(queue, _settings(ctx).queue_name)


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
    apply_launch_event,
    apply_booking_event,
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
