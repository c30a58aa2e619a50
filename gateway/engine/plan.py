"""Stage 4, plan: the operation prepared (per text, operation name and authorization profile),
its variables coerced, and its query plan (the planner's ``plan`` cache).

Introspection root fields (``__schema``, ``__type``) are not planned: an operation of nothing
else is answered by graphql-core alone; an operation mixing them with other root fields is split
here: the rest is planned, the introspection part kept for the execute stage, and the response
keys' order for the shape stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_operation_ast,
)
from graphql.execution.values import get_variable_values

from ..cache import LRU
from ..context import Reply, error
from ..planner import PlanningError, PreparedOperation, QueryPlanner
from .records import Operation, RootKey
from .validate import INTROSPECTION_FIELDS, without_suggestions

if TYPE_CHECKING:
    from ..context import OperationContext

__all__ = ["Plan", "prepare"]

_LOCAL_FIELDS = INTROSPECTION_FIELDS | {"__typename"}


def _is_introspection(node: SelectionNode) -> bool:
    return isinstance(node, FieldNode) and node.name.value in INTROSPECTION_FIELDS


def _with_selections(
    document: DocumentNode, operation: OperationDefinitionNode, selections: list[SelectionNode]
) -> tuple[DocumentNode, OperationDefinitionNode]:
    """``document`` with ``operation`` selecting only ``selections`` (other definitions kept)."""
    op = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(selections)),
    )
    definitions = tuple(op if d is operation else d for d in document.definitions)
    return DocumentNode(definitions=definitions), op


def _without_introspection(
    document: DocumentNode, operation_name: str | None
) -> DocumentNode | None:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    kept = [s for s in operation.selection_set.selections if not _is_introspection(s)]
    return _with_selections(document, operation, kept)[0]


def _key(node: SelectionNode) -> RootKey:
    if isinstance(node, FieldNode):
        return (_is_introspection(node), node.alias.value if node.alias else node.name.value)
    return None


def prepare(ctx: OperationContext) -> Operation:
    """The operation of ``ctx.document`` (authorized) ready to plan."""
    document = ctx.document
    assert document is not None
    operation = get_operation_ast(document, ctx.operation_name)
    if operation is None:  # validated before: only an authorization filter could lose it
        msg = "Unknown operation." if ctx.operation_name else "Must provide operation name."
        raise Reply.of(400, msg, "GRAPHQL_VALIDATION_FAILED")
    selections = operation.selection_set.selections
    introspection = [s for s in selections if _is_introspection(s)]
    if introspection and all(
        isinstance(s, FieldNode) and s.name.value in _LOCAL_FIELDS for s in selections
    ):
        return Operation(PreparedOperation.from_document(document, operation), local=True)
    source = ctx.parsed.document if ctx.parsed is not None else None
    local: DocumentNode | None = None
    keys: tuple[RootKey, ...] = ()
    if introspection:
        local = _with_selections(document, operation, introspection)[0]
        rest = [s for s in selections if not _is_introspection(s)]
        document, operation = _with_selections(document, operation, rest)
        keys = tuple(_key(s) for s in selections)
        if source is not None:
            source = _without_introspection(source, ctx.operation_name)
    prepared = PreparedOperation.from_document(document, operation)
    authorized = ctx.authorized
    if authorized is not None and authorized.removed and source is not None:
        prepared.restore_removed(source, ctx.operation_name, authorized.removed)
    return Operation(prepared, introspection=local, keys=keys)


class Plan:
    """Prepares, coerces and plans ``ctx``'s operation into ``ctx.planned``."""

    def __init__(self, planner: QueryPlanner, schema: GraphQLSchema, cache_size: int = 1024):
        self.planner = planner
        #: Keep graphql-core's "Did you mean …?" in variable errors (off with introspection).
        self.suggestions = True
        self.schema = schema
        self.operations: LRU[tuple[Any, ...], Operation] = LRU(cache_size)

    def __call__(self, ctx: OperationContext) -> None:
        authorized = ctx.authorized
        key: tuple[Any, ...] = (
            (ctx.query, ctx.operation_name)
            if authorized is None
            else (ctx.query, ctx.operation_name, authorized.profile)
        )
        op = self.operations.lookup(key)
        if op is None:
            op = prepare(ctx)
            self.operations.put(key, op)
        ctx.operation = op
        facts = ctx.facts
        if facts is not None and facts.op_type == "mutation" and not ctx.allow_mutations:
            raise Reply.of(405, "Mutations cannot be sent with GET.", "BAD_REQUEST")
        prepared = op.prepared
        coercion = get_variable_values(self.schema, prepared.variable_definitions, ctx.variables)
        if isinstance(coercion, list):
            raise Reply(
                400,
                [
                    error(
                        e.message if self.suggestions else without_suggestions(e.message),
                        "BAD_USER_INPUT",
                    )
                    for e in coercion
                ],
            )
        ctx.coerced = coercion.coerced
        if op.local:
            return
        try:
            ctx.planned = self.planner.plan(key, prepared, ctx.coerced)
        except PlanningError as exc:
            raise Reply(200, [error(str(exc), "QUERY_PLANNING_FAILED")], data=True) from None
        except Exception as exc:  # a planner bug must not kill the server
            raise Reply(
                500, [error(f"Internal error: {exc!r}", "INTERNAL_SERVER_ERROR")], data=True
            ) from None
