"""The system subgraph's HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from starlette.applications import Starlette
from starlette.requests import Request

from astro.identity import Identity
from astro.settings import Settings
from subgraphs.serving import Context, create_subgraph_app
from subgraphs.system.resolvers import SystemContext
from subgraphs.system.schema import schema
from subgraphs.system.store import init_store


def create_app(settings: Settings) -> Starlette:
    """The system subgraph at ``/graphql`` (and ``/healthz``), its store and its arq pool (to
    queue resent notifications) opened on startup."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = await init_store(settings)
        queue: ArqRedis | None = None
        if settings.redis_url:
            queue = await create_pool(
                RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.queue_name
            )
        app.state.system_queue = queue
        try:
            yield
        finally:
            if queue is not None:
                await queue.aclose()
            await client.close()

    def context(settings: Settings, identity: Identity | None, request: Request) -> Context:
        return SystemContext(settings, identity, request, queue=request.app.state.system_queue)

    return create_subgraph_app(schema, settings, context_factory=context, lifespan=lifespan)
