"""What the admin operations do: rules, ledger writes and their outbox events.

Nothing here knows GraphQL types; :mod:`subgraphs.admin.schema` maps rows to types.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.ext.asyncio import AsyncSession

from astro import outbox
from astro.errors import BadUserInput, Forbidden, NotFound
from astro.identity import Identity
from astro.settings import Settings
from subgraphs.admin.events import (
    LAUNCH_SCHEDULED,
    LAUNCH_UPDATED,
    LaunchParts,
    add_launch_event,
    launch_payload,
)
from subgraphs.admin.loaders import AdminLoaders
from subgraphs.admin.store import (
    Database,
    Launch,
    LaunchStatus,
    LaunchStatusHistory,
    Rocket,
    RocketRange,
    Spaceport,
    Supplier,
)
from subgraphs.serving import Context

log = logging.getLogger(__name__)

RELAY_JOB = "relay_outbox"

MAX_PRICE = Decimal("9999999999.99")  # numeric(12, 2)
MAX_TEXT = 120


@dataclass
class AdminContext(Context):
    """The request context of the admin subgraph: the ledger, the queue and the loaders."""

    db: Database = field(kw_only=True)
    queue: ArqRedis | None = field(kw_only=True, default=None)
    data: AdminLoaders = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    """What a supplier asks for when scheduling a launch (field names as in the GraphQL input)."""

    rocket_id: str
    spaceport_id: str
    destination: str
    launch_date: datetime
    price_per_seat: Decimal
    seats: int


def parse_id(value: str, field_name: str) -> uuid.UUID:
    """``value`` as a UUID; ``BAD_USER_INPUT`` naming ``field_name`` otherwise."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise BadUserInput(
            f"{field_name} must be a UUID; got {value!r}.", field=field_name
        ) from None


def maybe_id(value: str) -> uuid.UUID | None:
    """``value`` as a UUID, or ``None`` when it is not one (such an id matches nothing)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


async def supplier_of(session: AsyncSession, identity: Identity) -> Supplier:
    """The supplier the caller acts for; ``FORBIDDEN`` when their login is linked to none."""
    user_id = maybe_id(identity.sub)
    supplier = None
    if user_id is not None:
        supplier = await session.scalar(sa.select(Supplier).where(Supplier.user_id == user_id))
    if supplier is None:
        raise Forbidden("Your login is not linked to a supplier; ask an administrator to link it.")
    return supplier


def check_text(value: str, field_name: str, *, limit: int = MAX_TEXT) -> str:
    """``value`` stripped; ``BAD_USER_INPUT`` when empty or longer than ``limit``."""
    text = value.strip()
    if not text:
        raise BadUserInput(f"{field_name} must not be empty.", field=field_name)
    if len(text) > limit:
        raise BadUserInput(
            f"{field_name} must be at most {limit} characters long.", field=field_name
        )
    return text


def _check_date(launch_date: datetime, settings: Settings, now: datetime) -> datetime:
    if launch_date.tzinfo is None or launch_date.utcoffset() is None:
        raise BadUserInput(
            "launchDate must include a timezone offset, e.g. 2027-05-01T14:00:00Z.",
            field="launchDate",
        )
    earliest = now + timedelta(days=settings.min_days_ahead)
    if launch_date <= earliest:
        raise BadUserInput(
            f"launchDate must be more than {settings.min_days_ahead} days ahead "
            f"(after {earliest.isoformat(timespec='seconds')}).",
            field="launchDate",
        )
    return launch_date.astimezone(UTC)


def check_price(price: Decimal) -> Decimal:
    """``price`` to the cent; ``BAD_USER_INPUT`` unless 0 < price ≤ the column's maximum."""
    if not price.is_finite() or price <= 0:
        raise BadUserInput("pricePerSeat must be greater than 0.", field="pricePerSeat")
    if price != price.quantize(Decimal("0.01")):
        raise BadUserInput("pricePerSeat must have at most 2 decimal places.", field="pricePerSeat")
    if price > MAX_PRICE:
        raise BadUserInput(f"pricePerSeat must be at most {MAX_PRICE}.", field="pricePerSeat")
    return price.quantize(Decimal("0.01"))


def slug_base(destination: str, launch_date: datetime) -> str:
    """``mars-2027-05-01``: the destination in ASCII kebab case plus the UTC launch day."""
    ascii_text = unicodedata.normalize("NFKD", destination).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return f"{words or 'launch'}-{launch_date.astimezone(UTC):%Y-%m-%d}"


async def unique_slug(session: AsyncSession, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is free, held until the transaction ends."""
    # Serialise concurrent schedulers of the same base slug so both cannot pick the same suffix.
    await session.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(sa.func.hashtext("launch-slug"), sa.func.hashtext(base))
        )
    )
    taken = set(
        (
            await session.scalars(
                sa.select(Launch.slug).where(
                    sa.or_(Launch.slug == base, Launch.slug.like(f"{base}-%"))
                )
            )
        ).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def insert_launch(
    session: AsyncSession,
    *,
    supplier: Supplier,
    rocket: Rocket,
    spaceport: Spaceport,
    destination: str,
    launch_date: datetime,
    price_per_seat: Decimal,
    seats: int,
    by_user: str | None,
    launch_id: uuid.UUID | None = None,
) -> LaunchParts:
    """Write a checked launch, its first status-history row and its ``launch.scheduled`` event."""
    launch = Launch(
        id=launch_id or uuid.uuid4(),
        supplier_id=supplier.id,
        rocket_id=rocket.id,
        spaceport_id=spaceport.id,
        destination=destination,
        launch_date=launch_date,
        original_launch_date=launch_date,
        price_per_seat=price_per_seat,
        total_seats=seats,
        status=LaunchStatus.SCHEDULED,
        slug=await unique_slug(session, slug_base(destination, launch_date)),
    )
    session.add(launch)
    await session.flush()  # assigns version 1
    session.add(
        LaunchStatusHistory(
            launch_id=launch.id,
            from_status=None,
            to_status=LaunchStatus.SCHEDULED,
            reason="scheduled",
            launch_date=launch_date,
            by_user=by_user,
        )
    )
    parts = LaunchParts(launch, rocket, supplier, spaceport)
    add_launch_event(session, LAUNCH_SCHEDULED, parts)
    return parts


async def schedule_launch(
    db: Database, settings: Settings, identity: Identity, plan: LaunchPlan
) -> LaunchParts:
    """Schedule ``plan`` for the caller's supplier: launch, history and outbox in one transaction."""
    destination = check_text(plan.destination, "destination")
    launch_date = _check_date(plan.launch_date, settings, datetime.now(UTC))
    price = check_price(plan.price_per_seat)
    if plan.seats < 1:
        raise BadUserInput("seats must be at least 1.", field="seats")
    rocket_id = parse_id(plan.rocket_id, "rocketId")
    spaceport_id = parse_id(plan.spaceport_id, "spaceportId")

    async with db.sessions.begin() as session:
        supplier = await supplier_of(session, identity)
        # FOR SHARE: the rocket's capacity cannot change under this launch before commit.
        rocket = await session.get(Rocket, rocket_id, with_for_update={"read": True})
        if rocket is None or rocket.deleted_at is not None:
            raise NotFound(f"No rocket with id {rocket_id}.", field="rocketId")
        if rocket.supplier_id != supplier.id:
            raise Forbidden(
                f"Rocket {rocket_id} belongs to another supplier; schedule on one of your rockets.",
                field="rocketId",
            )
        spaceport = await session.get(Spaceport, spaceport_id)
        if spaceport is None:
            raise NotFound(f"No spaceport with id {spaceport_id}.", field="spaceportId")
        if plan.seats > rocket.capacity:
            raise BadUserInput(
                f"seats must not exceed the capacity of rocket {rocket.name!r} "
                f"({rocket.capacity}); got {plan.seats}.",
                field="seats",
            )
        parts = await insert_launch(
            session,
            supplier=supplier,
            rocket=rocket,
            spaceport=spaceport,
            destination=destination,
            launch_date=launch_date,
            price_per_seat=price,
            seats=plan.seats,
            by_user=identity.sub,
        )
    return parts


async def add_rocket(
    db: Database, identity: Identity, *, name: str, capacity: int, range_: RocketRange
) -> Rocket:
    """Add a rocket to the caller's supplier."""
    clean_name = check_text(name, "name")
    if capacity < 1:
        raise BadUserInput("capacity must be at least 1.", field="capacity")
    async with db.sessions.begin() as session:
        supplier = await supplier_of(session, identity)
        rocket = Rocket(supplier_id=supplier.id, name=clean_name, capacity=capacity, range=range_)
        session.add(rocket)
    return rocket


async def open_queue(settings: Settings) -> ArqRedis | None:
    """An arq pool on ``settings.redis_url``; ``None`` without Redis (the cron relay publishes)."""
    if not settings.redis_url:
        return None
    return await create_pool(
        RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.queue_name
    )


async def request_relay(queue: ArqRedis | None, settings: Settings) -> None:
    """Ask a worker to publish the outbox now; best effort, the relay cron catches up anyway.

    Requests within 0.1 s share one job (:func:`astro.outbox.request_relay`): under a rush of
    ledger writes one run publishes many events instead of one run each.
    """
    await outbox.request_relay(queue, RELAY_JOB, settings.queue_name, settings.queue_name)


async def supplier_launches(db: Database, identity: Identity) -> list[Launch]:
    """The caller's supplier's launches, soonest first."""
    async with db.sessions() as session:
        supplier = await supplier_of(session, identity)
        rows = await session.scalars(
            sa.select(Launch)
            .where(Launch.supplier_id == supplier.id)
            .order_by(Launch.launch_date, Launch.id)
        )
        return list(rows.all())


async def supplier_rockets(db: Database, identity: Identity) -> list[Rocket]:
    """The caller's supplier's rockets, by name."""
    async with db.sessions() as session:
        supplier = await supplier_of(session, identity)
        rows = await session.scalars(
            sa.select(Rocket)
            .where(Rocket.supplier_id == supplier.id, Rocket.deleted_at.is_(None))
            .order_by(Rocket.name)
        )
        return list(rows.all())


async def all_spaceports(db: Database) -> list[Spaceport]:
    """Every spaceport, by code."""
    async with db.sessions() as session:
        return list((await session.scalars(sa.select(Spaceport).order_by(Spaceport.code))).all())


async def all_suppliers(db: Database) -> list[Supplier]:
    """Every supplier, by name."""
    async with db.sessions() as session:
        return list((await session.scalars(sa.select(Supplier).order_by(Supplier.name))).all())


__all__ = [
    "LAUNCH_SCHEDULED",
    "LAUNCH_UPDATED",
    "AdminContext",
    "LaunchParts",
    "LaunchPlan",
    "add_launch_event",
    "launch_payload",
]
