"""The engine: one supergraph's GraphQL execution as six stages over one context.

parse → validate → authorize → plan → execute → shape (one module each). The engine is given
its collaborators when it is built (the subgraph client, the tracer, the hooks and the rules
they bring) and never imports the server or the edge above it: ``gateway/app.py`` and
``gateway/edge/`` build an engine and serve it over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLSchema

from ..api_schema import build_api_schema
from ..cache import CacheStats
from ..context import OperationContext, Reply
from ..hooks import Hook, Hooks
from ..planner import QueryPlanner
from ..supergraph import Supergraph, parse_supergraph
from ..tracing import Tracing
from ..transport import SubgraphClient
from .authorize import authorize
from .execute import Execute
from .parse import Parse
from .plan import Plan
from .shape import shape
from .validate import Validate

__all__ = ["Engine"]

_CACHE_SIZE = 1024


class Engine:
    """The gateway for one supergraph: parse, validate, authorize, plan, execute, shape."""

    def __init__(
        self,
        supergraph: str | Supergraph,
        *,
        api_schema: GraphQLSchema | None = None,
        client: SubgraphClient | None = None,
        tracing: Tracing | None = None,
        hooks: Sequence[Hook] = (),
        suggestions: bool = True,
    ) -> None:
        """``suggestions``: keep graphql-core's "Did you mean …?" in error messages (turn off
        with introspection: they leak the schema's names)."""
        if isinstance(supergraph, str):
            supergraph = parse_supergraph(supergraph)
        self.supergraph: Supergraph = supergraph
        self.api_schema: GraphQLSchema = api_schema or build_api_schema(supergraph.document)
        self.planner = QueryPlanner(supergraph, self.api_schema)
        self.client = client or SubgraphClient()
        #: OpenTelemetry spans of subgraph fetches (``None``: tracing off).
        self.tracing = tracing
        self.hooks = Hooks(hooks)
        self.parse = Parse(_CACHE_SIZE)
        self.validate = Validate(
            self.api_schema, self.hooks.validation_rules(), _CACHE_SIZE * 4, suggestions=suggestions
        )
        self.plan = Plan(self.planner, self.api_schema, _CACHE_SIZE)
        self.plan.suggestions = suggestions
        self.executor = Execute(self.api_schema, self.client, tracing, self.hooks)

    async def run(self, ctx: OperationContext) -> None:
        """Run ``ctx`` through the hooks and stages; the outcome is ``ctx.status`` and
        ``ctx.body`` (plus ``ctx.response_headers``)."""
        hooks = self.hooks
        try:
            for on_request in hooks.on_request:
                pending = on_request(ctx)
                if pending is not None:
                    await pending
            self.parse(ctx)
            self.validate(ctx)
            for on_operation in hooks.on_operation:
                pending = on_operation(ctx)
                if pending is not None:
                    await pending
            authorize(ctx)
            self.plan(ctx)
            await self.executor(ctx)
            shape(ctx)
        except Reply as reply:
            _replied(ctx, reply)
        if hooks.on_response:
            try:
                for on_response in hooks.on_response:
                    pending = on_response(ctx)
                    if pending is not None:
                        await pending
            except Reply as reply:
                _replied(ctx, reply)
        if ctx.extensions:
            ctx.body = {
                **ctx.body,
                "extensions": {**ctx.body.get("extensions", {}), **ctx.extensions},
            }

    def caches(self) -> dict[str, tuple[int, int, int]]:
        """Hits, misses and entries of each of the engine's caches (``/metrics``)."""
        planner = self.planner
        out: dict[str, CacheStats] = {
            "document": self.parse.documents,
            "operation": self.validate.operations,
            "prepared": self.plan.operations,
        }
        counts = {name: (c.hits, c.misses, len(c)) for name, c in out.items()}
        counts["plan"] = (planner.hits, planner.misses, planner.size)
        return counts

    async def execute(
        self,
        payload: Any,
        headers: Mapping[str, str] | None = None,
        *,
        allow_mutations: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """Run one GraphQL request body; returns the HTTP status and the response body.

        ``headers`` are forwarded to every subgraph request (e.g. ``Authorization``)."""
        ctx = OperationContext(payload=payload, forward=dict(headers) if headers else None)
        ctx.allow_mutations = allow_mutations
        await self.run(ctx)
        return ctx.status, ctx.body


def _replied(ctx: OperationContext, reply: Reply) -> None:
    ctx.status = reply.status
    ctx.body = reply.body()
    if reply.headers:
        if ctx.response_headers is None:
            ctx.response_headers = []
        ctx.response_headers.extend(reply.headers)
