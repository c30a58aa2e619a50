"""What every subgraph's HTTP app shares: the verified caller and the ``/graphql`` route.

A subgraph verifies the forwarded access token itself: a request whose token does not verify is
answered 401 with an ``UNAUTHENTICATED`` GraphQL error before any resolver runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from astro.errors import AstroError, Forbidden, Unauthenticated
from astro.identity import Identity, identity_from_authorization
from astro.settings import Settings

log = logging.getLogger("astro.subgraph")

_DOCUMENT_CACHE_SIZE = 512


# Factories (a fresh extension per request); the caches themselves are module-level in
# Strawberry, shared by every extension of the same size.
def _parser_cache() -> ParserCache:
    return ParserCache(maxsize=_DOCUMENT_CACHE_SIZE)


def _validation_cache() -> ValidationCache:
    return ValidationCache(maxsize=_DOCUMENT_CACHE_SIZE)


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, AstroError | GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Hide the text of unexpected exceptions (SQL, driver details) behind a stable code.

    The full error is logged with its traceback; errors raised on purpose (``AstroError``) and
    validation errors reach the client unchanged.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema that masks unexpected errors and does not log expected ones.

    Parsed and validated documents are cached: the gateway sends the same few operations over
    and over, and parsing plus validation is most of a small request's CPU.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["extensions"] = [
            *kwargs.get("extensions", ()),
            MaskUnexpectedErrors,
            _parser_cache,
            _validation_cache,
        ]
        super().__init__(*args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Unexpected errors were logged, with their traceback, when they were masked.
        for error in errors:
            log.debug("graphql error at %s: %s", error.path, error.message)


@dataclass
class Context:
    """Per-request context handed to resolvers (``info.context``)."""

    settings: Settings
    identity: Identity | None
    request: Request | None = None
    loaders: dict[str, Any] = field(default_factory=dict)

    def require(self) -> Identity:
        """The caller, who must be logged in (``@authenticated``); ``UNAUTHENTICATED`` if not."""
        if self.identity is None:
            raise Unauthenticated("Log in first: this needs an access token.")
        return self.identity

    def require_scope(self, scope: str) -> Identity:
        """The caller, who must hold ``scope``: the check of ``@requiresScopes(scopes:
        [[scope]])``, so a subgraph called directly refuses what the gateway would remove."""
        return self.require_any_scope(scope)

    def require_any_scope(self, *scopes: str) -> Identity:
        """The caller, who must hold one of ``scopes``: ``@requiresScopes(scopes: [[a], [b]])``.

        ``UNAUTHENTICATED`` without a token, ``FORBIDDEN`` naming the scopes otherwise. Which of
        them the caller holds is then a row-level question (``identity.has_scope``).
        """
        identity = self.require()
        if not any(identity.has_scope(scope) for scope in scopes):
            needed = " or ".join(scopes)
            raise Forbidden(f"This needs the scope {needed}.", scopes=list(scopes))
        return identity


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
    """A Starlette app serving ``schema`` at ``/graphql`` (POST and GET) and ``/healthz``.

    In production it refuses (``ConfigurationError``) settings with development defaults, even
    when built outside the ``astro`` command (e.g. by another ASGI server): a subgraph that
    accepted tokens signed with the public dev secret would let anyone in."""
    settings.check_production_ready()
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
