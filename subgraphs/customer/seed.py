"""Seed data of the customer subgraph.

Launches reach the catalog only through the sync from the admin subgraph's seed, so seeding here
just makes sure the catalog's indexes exist.
"""

from __future__ import annotations

from astro.settings import Settings
from subgraphs.customer.store import create_client, ensure_indexes


async def seed(settings: Settings) -> None:
    """Prepare the customer database (idempotent; writes no documents)."""
    client = create_client(settings)
    try:
        await ensure_indexes(client[settings.customer_db])
    finally:
        await client.close()
