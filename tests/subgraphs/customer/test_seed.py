"""Seeding the customer database."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from astro.settings import Settings
from subgraphs.customer.seed import seed
from subgraphs.customer.store import MongoDoc


async def test_seeding_twice_only_keeps_the_catalog_indexes(
    settings: Settings, mongo: AsyncMongoClient[MongoDoc]
) -> None:
    launches = mongo[settings.customer_db]["launches"]
    count = await launches.count_documents({})

    await seed(settings)
    await seed(settings)

    indexes = await launches.index_information()
    assert indexes["slug_unique"]["unique"] is True
    assert {"launch_date_id", "destination_launch_date_id"} <= set(indexes)
    assert await launches.count_documents({}) == count
