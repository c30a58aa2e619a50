"""Alembic migrations against the models, and the dev-mode demo data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from astro import devstack
from astro.demo import DEMO_SUPPLIER_EMAIL, DEMO_SUPPLIER_ID, demo_id
from astro.settings import Settings
from subgraphs.admin.seed import seed
from subgraphs.admin.store import (
    Base,
    Database,
    Launch,
    OutboxEvent,
    Rocket,
    Spaceport,
    Supplier,
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
        assert await conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0001"


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

    assert (first, second) == (6, 0)
    db = Database.open(empty_ledger)
    try:
        async with db.sessions() as session:
            suppliers = {row.id: row for row in await session.scalars(sa.select(Supplier))}
            rockets = {row.id: row for row in await session.scalars(sa.select(Rocket))}
            launches = list(await session.scalars(sa.select(Launch)))
            events = list(await session.scalars(sa.select(OutboxEvent)))
            spaceports = list(await session.scalars(sa.select(Spaceport)))
    finally:
        await db.close()

    orbital = suppliers[uuid.UUID(DEMO_SUPPLIER_ID)]
    assert orbital.name == "Orbital Horizons"
    assert orbital.user_id == uuid.UUID(demo_id(DEMO_SUPPLIER_EMAIL))
    lunar = suppliers[uuid.UUID(demo_id("supplier:lunar-express"))]
    assert (lunar.name, lunar.user_id) == ("Lunar Express", None)
    assert (len(suppliers), len(spaceports), len(rockets), len(launches)) == (2, 3, 4, 6)
    now = datetime.now(UTC)
    for launch in launches:
        assert now + timedelta(days=390) < launch.launch_date < now + timedelta(days=930)
        assert launch.total_seats <= rockets[launch.rocket_id].capacity
    assert sorted(event.payload["launch"]["id"] for event in events) == sorted(
        str(launch.id) for launch in launches
    )
    assert {event.topic for event in events} == {"launch.scheduled"}
