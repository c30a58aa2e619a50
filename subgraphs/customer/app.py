"""The customer subgraph's HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from astro.settings import Settings
from subgraphs.customer.schema import schema
from subgraphs.customer.store import init_store
from subgraphs.serving import create_subgraph_app


def create_app(settings: Settings) -> Starlette:
    """The customer subgraph at ``/graphql``, its MongoDB store opened for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = await init_store(settings)
        try:
            yield
        finally:
            await client.close()

    return create_subgraph_app(schema, settings, lifespan=lifespan)
