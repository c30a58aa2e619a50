"""Alembic migrations against the models, and the dev-mode demo data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from astro.demo import DEMO_SUPPLIER_EMAIL, DEMO_SUPPLIER_ID, demo_id
from astro.settings import Settings
from astroctl import devstack
from subgraphs.admin.invoices import mark_overdue
from subgraphs.admin.seed import seed
from subgraphs.admin.store import (
    Base,
    Booking,
    BookingStatus,
    Database,
    Invoice,
    InvoiceStatus,
    Launch,
    LaunchStatus,
    OutboxEvent,
    Rocket,
    Spaceport,
    Supplier,
    alembic_config,
    migrate,
)


async def test_migrations_create_exactly_the_modelled_schema_and_rerun_safely(
    admin_settings: Settings, db: Database
) -> None:
    await asyncio.gather(migrate(admin_settings), migrate(admin_settings))

    def differences(connection: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
        assert await conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == HEAD


@pytest.fixture
async def empty_ledger(admin_settings: Settings) -> AsyncIterator[Settings]:
    """Settings on a database of its own (other tests, e.g. end-to-end ones, seed the shared one)."""
    assert admin_settings.postgres_url
    name = f"{admin_settings.postgres_url.rsplit('/', 1)[1]}_seed"
    url = devstack.with_database(admin_settings.postgres_url, name)
    await asyncio.to_thread(devstack.ensure_database, url)
    try:
        yield admin_settings.model_copy(update={"postgres_url": url})
    finally:
        conn = await asyncpg.connect(devstack.with_database(url, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def test_seed_creates_demo_data_once_with_catalog_events(empty_ledger: Settings) -> None:
    first = await seed(empty_ledger)
    second = await seed(empty_ledger)

    assert (first, second) == (8, 0)
    db = Database.open(empty_ledger)
    try:
        async with db.sessions() as session:
            suppliers = {row.id: row for row in await session.scalars(sa.select(Supplier))}
            rockets = {row.id: row for row in await session.scalars(sa.select(Rocket))}
            launches = list(await session.scalars(sa.select(Launch)))
            events = list(await session.scalars(sa.select(OutboxEvent)))
            spaceports = list(await session.scalars(sa.select(Spaceport)))
            bookings = list(await session.scalars(sa.select(Booking)))
    finally:
        await db.close()

    orbital = suppliers[uuid.UUID(DEMO_SUPPLIER_ID)]
    assert orbital.name == "Orbital Horizons"
    assert orbital.user_id == uuid.UUID(demo_id(DEMO_SUPPLIER_EMAIL))
    lunar = suppliers[uuid.UUID(demo_id("supplier:lunar-express"))]
    assert (lunar.name, lunar.user_id) == ("Lunar Express", None)
    assert (len(suppliers), len(spaceports), len(rockets), len(launches)) == (2, 3, 4, 8)
    now = datetime.now(UTC)
    past_ids = {uuid.UUID(demo_id("launch:past-1")), uuid.UUID(demo_id("launch:past-2"))}
    for launch in launches:
        assert launch.total_seats <= rockets[launch.rocket_id].capacity
        if launch.id in past_ids:
            assert launch.launch_date < now
            assert (launch.status, launch.seats_sold) == (LaunchStatus.SUCCESSFUL, 1)
        else:
            assert now + timedelta(days=390) < launch.launch_date < now + timedelta(days=930)
    vip = demo_id("vip@astrobookings.dev")
    assert {(b.id, b.launch_id, b.customer_id, b.seats, b.status) for b in bookings} == {
        (
            uuid.UUID(demo_id(f"booking:vip-{key}")),
            uuid.UUID(demo_id(f"launch:{key}")),
            vip,
            1,
            BookingStatus.CONFIRMED,
        )
        for key in ("past-1", "past-2")
    }
    scheduled = [event for event in events if event.topic == "launch.scheduled"]
    assert sorted(event.payload["launch"]["id"] for event in scheduled) == sorted(
        str(launch.id) for launch in launches
    )
    updated = [event for event in events if event.topic == "launch.updated"]
    assert sorted(event.payload["launch"]["id"] for event in updated) == sorted(
        str(launch_id) for launch_id in past_ids
    )
    assert {event.payload["launch"]["status"] for event in updated} == {"SUCCESSFUL"}


HEAD = "0003"

S1, P1, R1, L1 = (f"00000000-0000-0000-0000-00000000000{n}" for n in range(1, 5))
OLD_RELEASE_ROWS = [
    f"INSERT INTO suppliers VALUES ('{S1}', 'S', 'T', 'A', 'e@x', NULL)",
    f"INSERT INTO spaceports VALUES ('{P1}', 'P', 'Port', 'Here')",
    f"INSERT INTO rockets VALUES ('{R1}', '{S1}', 'R', 6, 'LEO')",
    "INSERT INTO launches (id, supplier_id, rocket_id, spaceport_id, destination, launch_date, "
    "original_launch_date, price_per_seat, total_seats, status, slug, version) VALUES "
    f"('{L1}', '{S1}', '{R1}', '{P1}', 'Moon', '2031-01-01Z', '2031-01-01Z', 100.00, 6, "
    "'SCHEDULED', 'moon-2031-01-01', 1)",
]


async def test_migrations_upgrade_a_0001_database_with_launches_in_it(
    empty_ledger: Settings,
) -> None:
    def to_0001(connection: sa.Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")

    db = Database.open(empty_ledger)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(to_0001)
            for statement in OLD_RELEASE_ROWS:
                await conn.execute(sa.text(statement))
        await migrate(empty_ledger)
        async with db.sessions() as session:
            launch = await session.get(Launch, uuid.UUID(L1))
            rocket = await session.get(Rocket, uuid.UUID(R1))
            version = await session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        await db.close()

    assert launch is not None and rocket is not None
    assert (launch.seats_sold, launch.total_seats, rocket.specs, rocket.deleted_at) == (
        0,
        6,
        "",
        None,
    )
    assert version == HEAD


B1, I1 = "00000000-0000-0000-0000-000000000005", "00000000-0000-0000-0000-000000000006"
RELEASE_0002_ROWS = [
    *OLD_RELEASE_ROWS,
    "UPDATE launches SET seats_sold = 2",
    "INSERT INTO bookings (id, launch_id, customer_id, customer_email, seats, unit_price, total, "
    f"status, created_at) VALUES ('{B1}', '{L1}', 'c1', 'c1@x', 2, 100.00, 200.00, 'CONFIRMED', "
    "'2026-01-02Z')",
    "INSERT INTO invoices (id, number, kind, emitter, recipient, amount, issue_date, due_date, "
    f"payment_status, booking_id, launch_id) VALUES ('{I1}', 'INV-2026-000001', 'BOOKING', "
    f"'AstroBookings', 'c1@x', 200.00, '2026-01-02', '2026-02-01', 'UNPAID', '{B1}', '{L1}')",
]


async def test_migrations_upgrade_a_0002_database_with_bookings_and_invoices_in_it(
    empty_ledger: Settings,
) -> None:
    def to_0002(connection: sa.Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")

    db = Database.open(empty_ledger)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(to_0002)
            for statement in RELEASE_0002_ROWS:
                await conn.execute(sa.text(statement))
        await migrate(empty_ledger)
        async with db.sessions.begin() as session:
            version = await session.scalar(sa.text("SELECT version_num FROM alembic_version"))
            launch = await session.get(Launch, uuid.UUID(L1))
            booking = await session.get(Booking, uuid.UUID(B1))
            # The new payment status is accepted by the upgraded CHECK constraint.
            overdue = await mark_overdue(session, date(2026, 2, 2))
        async with db.sessions() as session:
            invoice = await session.get(Invoice, uuid.UUID(I1))
        with pytest.raises(sa.exc.IntegrityError, match="ck_invoices_payment_status_valid"):
            async with db.engine.begin() as conn:
                await conn.execute(
                    sa.text(f"UPDATE invoices SET payment_status = 'LOST' WHERE id = '{I1}'")
                )
    finally:
        await db.close()

    assert version == HEAD
    assert launch is not None and booking is not None and invoice is not None
    assert (launch.seats_sold, launch.viability_flagged_at, launch.version) == (2, None, 1)
    assert (booking.status, booking.total) == (BookingStatus.CONFIRMED, Decimal("200.00"))
    assert overdue == [uuid.UUID(I1)]
    assert (invoice.number, invoice.payment_status) == ("INV-2026-000001", InvoiceStatus.OVERDUE)
