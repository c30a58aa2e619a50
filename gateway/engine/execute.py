"""Stage 5, execute: the plan's fetches against the subgraphs, and the introspection part.

Fetches go through the engine's subgraph client (and its tracer, and the hooks that watch
subgraph fetches); introspection root fields are answered by graphql-core from the API schema.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLSchema, execute

from ..context import Reply, error
from ..executor import execute_plan

if TYPE_CHECKING:
    from ..context import OperationContext
    from ..hooks import Hooks
    from ..tracing import Tracing
    from ..transport import SubgraphClient

__all__ = ["Execute"]


class Execute:
    """Fills ``ctx.data`` and ``ctx.errors`` (or, for an introspection-only operation,
    ``ctx.body``)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        client: SubgraphClient,
        tracing: Tracing | None,
        hooks: Hooks,
    ) -> None:
        self.schema = schema
        self.client = client
        self.tracing = tracing
        self.hooks = hooks

    def introspect(self, ctx: OperationContext, document: Any) -> dict[str, Any]:
        result = execute(
            self.schema,
            document,
            variable_values=ctx.variables,
            operation_name=ctx.operation_name,
        )
        assert not isinstance(result, Awaitable)  # introspection resolvers are synchronous
        return dict(result.formatted)

    async def __call__(self, ctx: OperationContext) -> None:
        op = ctx.operation
        assert op is not None
        if op.local:
            ctx.body = self.introspect(ctx, ctx.document)
            return
        planned = ctx.planned
        assert planned is not None
        if op.introspection is not None:
            ctx.introspected = self.introspect(ctx, op.introspection)
        try:
            ctx.data, ctx.errors = await execute_plan(
                planned.node, self.client, ctx.coerced, ctx.forward, self.tracing, self.hooks, ctx
            )
        except Exception as exc:  # an executor bug must not kill the server
            raise Reply(
                500, [error(f"Internal error: {exc!r}", "INTERNAL_SERVER_ERROR")], data=True
            ) from None
