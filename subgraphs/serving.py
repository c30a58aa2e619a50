"""What every subgraph's HTTP app shares: the verified caller and the ``/graphql`` route.

A subgraph verifies the forwarded access token itself: a request whose token does not verify is
answered 401 with an ``UNAUTHENTICATED`` GraphQL error before any resolver runs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from astro.errors import Forbidden, Unauthenticated
from astro.identity import Identity, identity_from_authorization
from astro.settings import Settings


@dataclass
class Context:
    """Per-request context handed to resolvers (``info.context``)."""

    settings: Settings
    identity: Identity | None
    request: Request | None = None
    loaders: dict[str, Any] = field(default_factory=dict)

    def require(self, *roles: str) -> Identity:
        """The caller, who must be logged in and, when ``roles`` are given, hold one of them."""
        if self.identity is None:
            raise Unauthenticated("Log in first: this needs an access token.")
        if roles and not self.identity.has_role(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
        return self.identity


ContextFactory = Callable[[Settings, Identity | None, Request], Context]


class _SubgraphGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, settings: Settings, factory: ContextFactory):
        super().__init__(schema, graphql_ide=None)
        self._settings = settings
        self._factory = factory

    async def get_context(self, request: Any, response: Any) -> Context:
        identity = request.scope.get("astro.identity")
        return self._factory(self._settings, identity, request)


def create_subgraph_app(
    schema: strawberry.Schema,
    settings: Settings,
    *,
    context_factory: ContextFactory | None = None,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """A Starlette app serving ``schema`` at ``/graphql`` (POST and GET) and ``/healthz``."""
    factory: ContextFactory = context_factory or (
        lambda settings, identity, request: Context(settings, identity, request)
    )
    graphql = _SubgraphGraphQL(schema, settings, factory)

    async def endpoint(request: Request) -> Response:
        try:
            identity = identity_from_authorization(settings, request.headers.get("authorization"))
        except Unauthenticated as exc:
            body = {
                "data": None,
                "errors": [{"message": exc.message, "extensions": exc.extensions}],
            }
            return Response(orjson.dumps(body), status_code=401, media_type="application/json")
        request.scope["astro.identity"] = identity
        try:
            response: Response = await graphql.run(request)
        except HTTPException as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status_code)
        return response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/graphql", endpoint, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
