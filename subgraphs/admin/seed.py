"""Demo ledger data: two suppliers, three spaceports, four rockets, six upcoming launches and
two flown ones with a booking of the VIP each.

Ids come from :func:`astro.demo.demo_id`, so every store agrees on them. Each new launch gets its
``launch.scheduled`` outbox event, so the customer catalog receives it through the normal sync.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from astro.demo import DEMO_SUPPLIER_EMAIL, DEMO_SUPPLIER_ID, demo_id
from astro.settings import Settings
from subgraphs.admin.events import LAUNCH_UPDATED, add_launch_event
from subgraphs.admin.resolvers import insert_launch, open_queue, request_relay
from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Database,
    Launch,
    LaunchStatus,
    LaunchStatusHistory,
    Passenger,
    Rocket,
    RocketRange,
    Spaceport,
    Supplier,
    migrate,
)

_SEED_LOCK_KEY = 0x41_53_54_52_4F_53_44  # "ASTROSD": one seeder at a time

LUNAR_EXPRESS_ID = demo_id("supplier:lunar-express")

_Row = TypeVar("_Row", Supplier, Spaceport, Rocket)


def _id(name: str) -> uuid.UUID:
    return uuid.UUID(demo_id(name))


SUPPLIERS: list[dict[str, Any]] = [
    dict(
        id=uuid.UUID(DEMO_SUPPLIER_ID),
        name="Orbital Horizons",
        tax_id="US-84-1234567",
        legal_address="1 Launch Complex Way, Cape Canaveral, FL 32920, USA",
        contact_email=DEMO_SUPPLIER_EMAIL,
        user_id=_id(DEMO_SUPPLIER_EMAIL),
    ),
    dict(
        id=uuid.UUID(LUNAR_EXPRESS_ID),
        name="Lunar Express",
        tax_id="FR-40-987654321",
        legal_address="12 Avenue de l'Espace, 97310 Kourou, French Guiana",
        contact_email="ops@lunar-express.example",
        user_id=None,
    ),
]

SPACEPORTS: list[dict[str, Any]] = [
    dict(
        id=_id("spaceport:KSC"),
        code="KSC",
        name="Kennedy Space Center",
        location="Merritt Island, Florida, USA",
    ),
    dict(
        id=_id("spaceport:CSG"),
        code="CSG",
        name="Guiana Space Centre",
        location="Kourou, French Guiana",
    ),
    dict(
        id=_id("spaceport:TNSC"),
        code="TNSC",
        name="Tanegashima Space Center",
        location="Tanegashima, Kagoshima, Japan",
    ),
]

ROCKETS: list[dict[str, Any]] = [
    dict(
        id=_id("rocket:horizon-heavy"),
        supplier_id=uuid.UUID(DEMO_SUPPLIER_ID),
        name="Horizon Heavy",
        capacity=12,
        range=RocketRange.INTERPLANETARY,
    ),
    dict(
        id=_id("rocket:horizon-shuttle"),
        supplier_id=uuid.UUID(DEMO_SUPPLIER_ID),
        name="Horizon Shuttle",
        capacity=8,
        range=RocketRange.LEO,
    ),
    dict(
        id=_id("rocket:skyhopper"),
        supplier_id=uuid.UUID(DEMO_SUPPLIER_ID),
        name="Skyhopper",
        capacity=6,
        range=RocketRange.SUBORBITAL,
    ),
    dict(
        id=_id("rocket:selene"),
        supplier_id=uuid.UUID(LUNAR_EXPRESS_ID),
        name="Selene I",
        capacity=10,
        range=RocketRange.INTERPLANETARY,
    ),
]


@dataclass(frozen=True, slots=True)
class _DemoLaunch:
    key: str
    rocket: str
    spaceport: str
    destination: str
    months_ahead: int
    price: str
    seats: int


LAUNCHES = [
    _DemoLaunch("moon-orbit", "horizon-heavy", "KSC", "Moon", 13, "2500000.00", 10),
    _DemoLaunch("leo-station", "horizon-shuttle", "KSC", "Low Earth Orbit", 15, "450000.00", 8),
    _DemoLaunch("edge-of-space", "skyhopper", "TNSC", "Suborbital Edge", 17, "95000.00", 6),
    _DemoLaunch("mars-flyby", "horizon-heavy", "KSC", "Mars", 24, "12500000.00", 12),
    _DemoLaunch("lunar-surface", "selene", "CSG", "Moon", 20, "3200000.00", 10),
    _DemoLaunch("lunar-gateway", "selene", "CSG", "Lunar Gateway", 30, "2800000.00", 8),
]


def _launch_date(now: datetime, months_ahead: int) -> datetime:
    day = now + timedelta(days=round(30.44 * months_ahead))
    return day.replace(hour=14, minute=0, second=0, microsecond=0)


async def _ensure(
    session: AsyncSession, model: type[_Row], rows: list[dict[str, Any]]
) -> dict[uuid.UUID, _Row]:
    present: dict[uuid.UUID, _Row] = {}
    for values in rows:
        row = await session.get(model, values["id"])
        if row is None:
            row = model(**values)
            session.add(row)
        present[row.id] = row
    await session.flush()
    return present


# Flown launches of Orbital Horizons, each with one seat of the VIP (the customer seed inserts
# the matching read-model bookings).
PAST_LAUNCHES = [
    _DemoLaunch("past-1", "horizon-shuttle", "KSC", "Low Earth Orbit", -14, "400000.00", 8),
    _DemoLaunch("past-2", "skyhopper", "TNSC", "Suborbital Edge", -7, "90000.00", 6),
]
VIP_EMAIL = "vip@astrobookings.dev"


async def _seed_past_launches(
    session: AsyncSession,
    suppliers: dict[uuid.UUID, Supplier],
    rockets: dict[uuid.UUID, Rocket],
    by_code: dict[str, Spaceport],
    now: datetime,
) -> int:
    created = 0
    for demo in PAST_LAUNCHES:
        launch_id = _id(f"launch:{demo.key}")
        if await session.get(Launch, launch_id) is not None:
            continue
        rocket = rockets[_id(f"rocket:{demo.rocket}")]
        when = _launch_date(now, demo.months_ahead)
        # Inserted as flown, outside the scheduling rules (its date is in the past).
        parts = await insert_launch(
            session,
            supplier=suppliers[rocket.supplier_id],
            rocket=rocket,
            spaceport=by_code[demo.spaceport],
            destination=demo.destination,
            launch_date=when,
            price_per_seat=Decimal(demo.price),
            seats=demo.seats,
            by_user=None,
            launch_id=launch_id,
        )
        launch = parts.launch
        booking = Booking(
            id=_id(f"booking:vip-{demo.key}"),
            launch_id=launch.id,
            customer_id=demo_id(VIP_EMAIL),
            customer_email=VIP_EMAIL,
            seats=1,
            unit_price=launch.price_per_seat,
            total=launch.price_per_seat,
            status=BookingStatus.CONFIRMED,
            created_at=when - timedelta(days=400),
        )
        session.add(booking)
        await session.flush()
        session.add(
            Passenger(
                booking_id=booking.id,
                position=1,
                name="Vera Ip",
                date_of_birth=date(1975, 4, 12),
                email=VIP_EMAIL,
            )
        )
        launch.seats_sold = 1
        launch.status = LaunchStatus.SUCCESSFUL
        await session.flush()
        session.add(
            LaunchStatusHistory(
                launch_id=launch.id,
                from_status=LaunchStatus.SCHEDULED,
                to_status=LaunchStatus.SUCCESSFUL,
                reason="demo data: flown",
                launch_date=when,
            )
        )
        add_launch_event(session, LAUNCH_UPDATED, parts)
        created += 1
    return created


async def seed(settings: Settings) -> int:
    """Create the demo ledger data that is missing; returns how many launches were created."""
    await migrate(settings)
    db = Database.open(settings)
    now = datetime.now(UTC)
    created = 0
    try:
        async with db.sessions.begin() as session:
            await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_SEED_LOCK_KEY)))
            suppliers = await _ensure(session, Supplier, SUPPLIERS)
            spaceports = await _ensure(session, Spaceport, SPACEPORTS)
            rockets = await _ensure(session, Rocket, ROCKETS)
            by_code = {spaceport.code: spaceport for spaceport in spaceports.values()}
            created += await _seed_past_launches(session, suppliers, rockets, by_code, now)
            for demo in LAUNCHES:
                launch_id = _id(f"launch:{demo.key}")
                if await session.get(Launch, launch_id) is not None:
                    continue
                rocket = rockets[_id(f"rocket:{demo.rocket}")]
                await insert_launch(
                    session,
                    supplier=suppliers[rocket.supplier_id],
                    rocket=rocket,
                    spaceport=by_code[demo.spaceport],
                    destination=demo.destination,
                    launch_date=_launch_date(now, demo.months_ahead),
                    price_per_seat=Decimal(demo.price),
                    seats=demo.seats,
                    by_user=None,
                    launch_id=launch_id,
                )
                created += 1
    finally:
        await db.close()
    if created:
        queue = await open_queue(settings)
        if queue is not None:
            try:
                await request_relay(queue, settings)
            finally:
                await queue.aclose()
    return created
