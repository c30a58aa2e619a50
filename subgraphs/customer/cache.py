"""The visitors' catalog cache in Redis: catalog pages and launch pages.

Every entry lives under the catalog's current *generation*; the sync bumps the generation after
it commits a launch change, which retires every cached page at once. A reader takes the
generation before it reads MongoDB, so a page read before a change commits is stored under the
retired generation and never served: a stale cache cannot show an aborted launch as bookable.
Entries also expire after ``TTL_SECONDS``, which bounds how stale a seat count may look.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from astro.settings import Settings

log = logging.getLogger(__name__)

TTL_SECONDS = 5


def catalog_prefix(settings: Settings) -> str:
    """The Redis key prefix of this catalog's cached pages and generation."""
    return f"astro:{settings.customer_db}:catalog"


async def invalidate_catalog(redis: Redis | None, settings: Settings) -> None:
    """Retire every cached catalog and launch page (after a launch change has committed)."""
    if redis is not None:
        await redis.incr(f"{catalog_prefix(settings)}:generation")


async def cached(
    redis: Redis | None,
    settings: Settings,
    key: str,
    load: Callable[[], Awaitable[bytes]],
) -> bytes:
    """The page cached under ``key`` in the current generation, else ``load()`` stored there.

    Redis trouble degrades to reading MongoDB.
    """
    if redis is None:
        return await load()
    prefix = catalog_prefix(settings)
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    try:
        generation = int(await redis.get(f"{prefix}:generation") or 0)
        entry = f"{prefix}:{generation}:{digest}"
        hit = await redis.get(entry)
    except RedisError:
        log.warning("catalog cache unavailable; reading MongoDB", exc_info=True)
        return await load()
    if hit is not None:
        return bytes(hit)
    value = await load()
    try:
        await redis.set(entry, value, ex=TTL_SECONDS)
    except RedisError:
        log.warning("could not cache a catalog page", exc_info=True)
    return value
