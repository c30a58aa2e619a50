"""Stage 1, parse: the request's query text, operation name and variables, and its document.

Parsing (and validating, next stage) depends on the query text alone, so both are memoized in
one :class:`~gateway.engine.records.Document` per text in the engine's ``document`` cache: a repeated query costs one
dictionary lookup here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import GraphQLError, parse

from ..cache import LRU
from ..context import Reply, error
from .records import Document

if TYPE_CHECKING:
    from ..context import OperationContext

__all__ = ["Document", "Parse"]


class Parse:
    """Reads the GraphQL request from ``ctx.payload`` (and ``ctx.query``) into ``ctx.parsed``."""

    def __init__(self, cache_size: int = 1024) -> None:
        self.documents: LRU[str, Document] = LRU(cache_size)

    def __call__(self, ctx: OperationContext) -> Document:
        payload = ctx.payload
        if not isinstance(payload, dict):
            raise Reply.of(400, "Must provide a query string.", "BAD_REQUEST")
        query = ctx.query
        if query is None:
            query = payload.get("query")
            if not isinstance(query, str):
                raise Reply.of(400, "Must provide a query string.", "BAD_REQUEST")
            ctx.query = query
        op_name = payload.get("operationName") or None
        if op_name is not None and not isinstance(op_name, str):
            raise Reply.of(400, "operationName must be a string.", "BAD_REQUEST")
        ctx.operation_name = op_name
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            raise Reply.of(400, "Variables must be an object.", "BAD_REQUEST")
        ctx.variables = variables
        parsed = self.documents.lookup(query)
        if parsed is None:
            try:
                parsed = Document(parse(query), [], 200)
            except GraphQLError as exc:
                parsed = Document(None, [error(exc.message, "GRAPHQL_PARSE_FAILED")], 400)
            self.documents.put(query, parsed)
        ctx.parsed = parsed
        return parsed
