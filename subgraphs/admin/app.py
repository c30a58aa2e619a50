"""The admin subgraph's HTTP app: migrations on start, the ledger engine and the arq pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from arq.connections import ArqRedis
from starlette.applications import Starlette
from starlette.requests import Request

from astro.identity import Identity
from astro.settings import Settings
from subgraphs.admin.loaders import AdminLoaders
from subgraphs.admin.resolvers import AdminContext, open_queue
from subgraphs.admin.schema import schema
from subgraphs.admin.store import Database, migrate
from subgraphs.serving import Context, create_subgraph_app


@dataclass(frozen=True, slots=True)
class AdminState:
    """What the app holds while it runs (``app.state.admin``)."""

    db: Database
    queue: ArqRedis | None


def create_app(settings: Settings) -> Starlette:
    """The admin subgraph at ``/graphql``; its lifespan migrates the ledger to the newest schema."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate(settings)
        db = Database.open(settings)
        queue = await open_queue(settings)
        app.state.admin = AdminState(db, queue)
        try:
            yield
        finally:
            if queue is not None:
                await queue.aclose()
            await db.close()

    def context(settings: Settings, identity: Identity | None, request: Request) -> Context:
        state: AdminState = request.app.state.admin
        return AdminContext(
            settings,
            identity,
            request,
            db=state.db,
            queue=state.queue,
            data=AdminLoaders.create(state.db.sessions),
        )

    return create_subgraph_app(schema, settings, context_factory=context, lifespan=lifespan)
