"""Alembic environment of the admin ledger.

Two ways in: :func:`subgraphs.admin.store.migrate` lends a connection through
``config.attributes["connection"]`` (used on app and worker start); the ``alembic`` CLI gets none
and connects itself with the asyncpg URL from the platform settings.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from astro.settings import get_settings
from subgraphs.admin.store import Base, asyncpg_url

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_async_engine(asyncpg_url(get_settings()), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=asyncpg_url(get_settings()),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (lent := config.attributes.get("connection")) is not None:
    _run(lent)
else:
    asyncio.run(_run_with_own_engine())
