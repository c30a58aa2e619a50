from __future__ import annotations

import asyncpg
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from astro.settings import Settings


async def test_every_store_is_a_real_server_that_keeps_data(settings: Settings) -> None:
    assert settings.postgres_url and settings.mongo_url and settings.redis_url
    conn = await asyncpg.connect(settings.postgres_url)
    try:
        assert await conn.fetchval("SELECT 40 + 2") == 42
    finally:
        await conn.close()

    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(settings.mongo_url)
    try:
        probes = mongo[settings.customer_db]["probe"]
        await probes.insert_one({"_id": "p1", "seats": 3})
        await probes.update_one({"_id": "p1", "seats": {"$gte": 2}}, {"$inc": {"seats": -2}})
        assert (await probes.find_one({"_id": "p1"})) == {"_id": "p1", "seats": 1}
    finally:
        await mongo.close()

    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.set("astro-test-probe", "ok", ex=5)
        assert await redis.get("astro-test-probe") == b"ok"
    finally:
        await redis.aclose()
