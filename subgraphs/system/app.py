"""The system subgraph's HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from astro.settings import Settings
from subgraphs.serving import create_subgraph_app
from subgraphs.system.schema import schema
from subgraphs.system.store import init_store


def create_app(settings: Settings) -> Starlette:
    """The system subgraph at ``/graphql`` (and ``/healthz``), its store opened on startup."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = await init_store(settings)
        try:
            yield
        finally:
            await client.close()

    return create_subgraph_app(schema, settings, lifespan=lifespan)
