"""The customer subgraph's HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from starlette.applications import Starlette
from starlette.requests import Request

from astro.identity import Identity
from astro.settings import Settings
from subgraphs.customer.context import CustomerContext
from subgraphs.customer.response_cache import VisitorResponseCache
from subgraphs.customer.schema import schema
from subgraphs.customer.store import init_store
from subgraphs.serving import create_subgraph_app


def create_app(settings: Settings) -> Starlette:
    """The customer subgraph at ``/graphql``: its MongoDB store and, when configured, its Redis
    (job queue and visitors' cache) opened for the app's lifetime."""
    redis: list[ArqRedis] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = await init_store(settings)
        if settings.redis_url:
            redis.append(
                await create_pool(
                    RedisSettings.from_dsn(settings.redis_url),
                    default_queue_name=settings.queue_name,
                )
            )
        try:
            yield
        finally:
            for pool in redis:
                await pool.aclose()
            redis.clear()
            await client.close()

    def context(settings: Settings, identity: Identity | None, request: Request) -> CustomerContext:
        return CustomerContext(settings, identity, request, redis=redis[0] if redis else None)

    app = create_subgraph_app(schema, settings, context_factory=context, lifespan=lifespan)
    app.add_middleware(
        VisitorResponseCache, settings=settings, redis=lambda: redis[0] if redis else None
    )
    return app
