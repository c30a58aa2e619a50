"""Stage 2, validate: the specification's rules, then the deployer's (limits, introspection
policy, any hook's), then the operation the request names.

Rules depend on the query text only, so they run once per text (the result stays in the
parse stage's :class:`~gateway.engine.records.Document`); a rule that cannot decide without the
variables (a list sized by a variable) is a :class:`~gateway.engine.records.VariablesRule` and is
asked again per request.
The operation's facts (type, root fields, introspection) are memoized per (text, operation name)
in the engine's ``operation`` cache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    get_operation_ast,
    validate,
    visit,
)
from graphql.language import ParallelVisitor
from graphql.validation import ASTValidationRule, ValidationContext

from ..cache import LRU
from ..context import Reply, error
from .records import Document, OperationFacts, VariablesRule

if TYPE_CHECKING:
    from ..context import OperationContext

__all__ = ["INTROSPECTION_FIELDS", "Validate", "root_fields", "without_suggestions"]

_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """``message`` without graphql-core's "Did you mean …?": with introspection off, those
    hints would tell a stranger the schema's field, type and enum value names one by one."""
    return _SUGGESTION.sub("", message)


#: The root fields answered from the schema itself (``__typename`` is answered by the plan).
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def root_fields(
    sel: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    out: set[str] | None = None,
) -> set[str]:
    """The names of the root fields of ``sel`` (through fragments)."""
    if out is None:
        out = set()
    for node in sel.selections:
        if isinstance(node, FieldNode):
            out.add(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            root_fields(node.selection_set, fragments, out)
        elif isinstance(node, FragmentSpreadNode):
            frag = fragments.get(node.name.value)
            if frag is not None:
                root_fields(frag.selection_set, fragments, out)
    return out


def _first_error(errors: list[GraphQLError]) -> dict[str, Any]:
    e = errors[0]
    code = (e.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED"
    return error(e.message, str(code))


class Validate:
    """Validates ``ctx.parsed`` and finds ``ctx.facts``."""

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: Sequence[type[ASTValidationRule]] = (),
        cache_size: int = 1024,
        *,
        suggestions: bool = True,
    ) -> None:
        self.schema = schema
        self.suggestions = suggestions
        self.rules = tuple(rules)
        self.operations: LRU[tuple[str, str | None], OperationFacts] = LRU(cache_size)

    def _validate(self, parsed: Document) -> None:
        document = parsed.document
        assert document is not None
        errs = validate(self.schema, document)
        if errs:
            parsed.errors = [
                error(
                    e.message if self.suggestions else without_suggestions(e.message),
                    "GRAPHQL_VALIDATION_FAILED",
                )
                for e in errs
            ]
            parsed.status = 400
        elif self.rules:
            found, deferred = self._run_rules(document)
            if found:
                # One error: the first operation's, of the first rule (rules report on entering
                # an operation, in the order they are listed: the order limits are told).
                parsed.errors = [_first_error(found)]
                parsed.status = 400
            parsed.deferred = tuple(deferred)
        parsed.validated = True

    def _run_rules(self, document: DocumentNode) -> tuple[list[GraphQLError], list[VariablesRule]]:
        """Run the extra rules (as graphql-core's ``validate`` does), keeping the instances."""
        found: list[GraphQLError] = []
        info = TypeInfo(self.schema)
        context = ValidationContext(self.schema, document, info, found.append)
        visitors = [rule(context) for rule in self.rules]
        visit(document, TypeInfoVisitor(info, ParallelVisitor(visitors)))
        return found, [v for v in visitors if isinstance(v, VariablesRule) and v.deferred]

    def __call__(self, ctx: OperationContext) -> OperationFacts:
        parsed = ctx.parsed
        assert parsed is not None
        if not parsed.validated:
            self._validate(parsed)
        if parsed.errors:
            raise Reply(parsed.status, parsed.errors)
        document = parsed.document
        assert document is not None and ctx.query is not None
        ctx.document = document
        key = (ctx.query, ctx.operation_name)
        facts = self.operations.lookup(key)
        if facts is None:
            operation = get_operation_ast(document, ctx.operation_name)
            if operation is None:
                msg = "Unknown operation." if ctx.operation_name else "Must provide operation name."
                raise Reply.of(400, msg, "GRAPHQL_VALIDATION_FAILED")
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            names = frozenset(root_fields(operation.selection_set, fragments))
            facts = OperationFacts(
                operation,
                operation.operation.value,
                names,
                not INTROSPECTION_FIELDS.isdisjoint(names),
            )
            self.operations.put(key, facts)
        ctx.facts = facts
        if parsed.deferred:
            for rule in parsed.deferred:
                err = rule.check_variables(facts.operation, ctx.variables)
                if err is not None:
                    raise Reply(400, [_first_error([err])])
        return facts
