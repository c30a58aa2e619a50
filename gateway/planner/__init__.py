"""Operation → query plan, with a bounded LRU cache of plans."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableDefinitionNode,
    get_operation_ast,
    print_ast,
)

from ..plan import PlanNode
from ..response import ResponseShape, compile_shape
from ..supergraph import Supergraph
from .builder import PlanningError, build_plan
from .normalize import SelSet, condition_variables, normalize_operation

__all__ = ["PlannedOperation", "PlanningError", "PreparedOperation", "QueryPlanner"]


@dataclass(slots=True)
class PreparedOperation:
    """A parsed and validated operation, ready to be planned."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    op_type: str
    var_types: dict[str, str]
    condition_vars: list[str]
    #: The variables to coerce (the operation's own, or the unfiltered operation's).
    variable_definitions: tuple[VariableDefinitionNode, ...] = ()
    #: Set when field authorization removed fields: what the query selected before.
    restore: Restore | None = None

    @classmethod
    def from_document(
        cls, document: DocumentNode, operation: OperationDefinitionNode
    ) -> PreparedOperation:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        var_types = {
            v.variable.name.value: print_ast(v.type)
            + (f" = {print_ast(v.default_value)}" if v.default_value is not None else "")
            for v in operation.variable_definitions or ()
        }
        return cls(
            document=document,
            operation=operation,
            fragments=fragments,
            op_type=operation.operation.value,
            var_types=var_types,
            condition_vars=condition_variables(operation, fragments.values()),
            variable_definitions=tuple(operation.variable_definitions or ()),
        )

    def restore_removed(
        self,
        source: DocumentNode,
        operation_name: str | None,
        removed: Iterable[tuple[str, ...]],
    ) -> None:
        """Put the ``null`` of the fields at ``removed`` (response paths) back in the response
        where the unfiltered ``source`` selected them (planned per value of the conditions of
        ``source``, whose variables are coerced)."""
        original = get_operation_ast(source, operation_name)
        if original is None:
            return
        fragments = {
            d.name.value: d for d in source.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.restore = Restore(original, fragments, tuple(removed))
        self.condition_vars = condition_variables(original, fragments.values())
        self.variable_definitions = tuple(original.variable_definitions or ())


@dataclass(frozen=True, slots=True)
class Restore:
    """An operation before field authorization removed the fields at ``removed``."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    removed: tuple[tuple[str, ...], ...]


@dataclass(slots=True)
class PlannedOperation:
    node: PlanNode | None
    fetch_count: int
    shape: ResponseShape


class QueryPlanner:
    """Plans operations against a supergraph; plans are cached in a bounded LRU."""

    def __init__(self, supergraph: Supergraph, api_schema: GraphQLSchema, size: int = 1024):
        self.supergraph = supergraph
        self.api_schema = api_schema
        self._size = size
        self._cache: OrderedDict[tuple[Any, ...], PlannedOperation] = OrderedDict()
        self._fieldsets: dict[tuple[str, str], SelSet] = {}
        #: Plan-cache hits and misses (``/metrics``).
        self.hits = 0
        self.misses = 0

    @property
    def size(self) -> int:
        """How many plans are cached."""
        return len(self._cache)

    def plan(
        self, key: Any, prepared: PreparedOperation, variables: Mapping[str, Any]
    ) -> PlannedOperation:
        """Plan `prepared` (cached under `key` plus the values of its @skip/@include vars)."""
        cache_key = (key, *(bool(variables.get(v)) for v in prepared.condition_vars))
        hit = self._cache.get(cache_key)
        if hit is not None:
            self._cache.move_to_end(cache_key)
            self.hits += 1
            return hit
        self.misses += 1
        planned = self._plan(prepared, variables)
        self._cache[cache_key] = planned
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return planned

    def _plan(self, prepared: PreparedOperation, variables: Mapping[str, Any]) -> PlannedOperation:
        sg = self.supergraph
        root = {
            "query": sg.query_type,
            "mutation": sg.mutation_type,
            "subscription": sg.subscription_type,
        }[prepared.op_type]
        if root is None:
            raise ValueError(f"the schema has no {prepared.op_type} type")
        sel = normalize_operation(
            sg.schema, prepared.operation, prepared.fragments, variables, root
        )
        node, count, reg = build_plan(
            sg, sel, prepared.op_type, prepared.var_types, self._fieldsets
        )
        restore = prepared.restore
        if restore is None:
            return PlannedOperation(node, count, compile_shape(sel, reg, self.api_schema))
        original = normalize_operation(
            sg.schema, restore.operation, restore.fragments, variables, root
        )
        shape = compile_shape(sel, reg, self.api_schema, original, restore.removed)
        return PlannedOperation(node, count, shape)
