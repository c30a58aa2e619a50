"""Operation → query plan, with a bounded LRU cache of plans.

Planning runs in phases (see docs/planner.md): `normalize` the operation, plan its fields
into fetch groups (`roots`, `placement` with its entity jumps), `assemble` the groups into a
plan tree,
then compile the response shape (`gateway.response`) from the data keys planning chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from ..cache import LRU
from ..plan import PlanNode
from ..response import ResponseShape, compile_shape
from ..supergraph import Supergraph
from .builder import PlanningError, build_plan
from .normalize import SelSet, normalize_operation
from .prepared import PreparedOperation

__all__ = ["PlannedOperation", "PlanningError", "PreparedOperation", "QueryPlanner"]


@dataclass(slots=True)
class PlannedOperation:
    """A plan, its number of fetches, and how to read the response out of its data."""

    node: PlanNode | None
    fetch_count: int
    shape: ResponseShape


class QueryPlanner:
    """Plans operations against a supergraph; plans are cached in a bounded LRU."""

    def __init__(self, supergraph: Supergraph, api_schema: GraphQLSchema, size: int = 1024):
        self.supergraph = supergraph
        self.api_schema = api_schema
        #: The plans, by operation and @skip/@include values (the gateway's one cache helper).
        self.cache: LRU[tuple[Any, ...], PlannedOperation] = LRU(size)
        self._fieldsets: dict[tuple[str, str], SelSet] = {}

    @property
    def hits(self) -> int:
        """Plan-cache hits (``/metrics``)."""
        return self.cache.hits

    @property
    def misses(self) -> int:
        """Plan-cache misses (``/metrics``)."""
        return self.cache.misses

    @property
    def size(self) -> int:
        """How many plans are cached."""
        return len(self.cache)

    def plan(
        self, key: Any, prepared: PreparedOperation, variables: Mapping[str, Any]
    ) -> PlannedOperation:
        """Plan `prepared` (cached under `key` plus the values of its @skip/@include vars)."""
        cache_key = (key, *(bool(variables.get(v)) for v in prepared.condition_vars))
        hit = self.cache.lookup(cache_key)
        if hit is not None:
            return hit
        planned = self._plan(prepared, variables)
        self.cache.put(cache_key, planned)
        return planned

    def _plan(self, prepared: PreparedOperation, variables: Mapping[str, Any]) -> PlannedOperation:
        """The phases, in order: normalize → fetch groups → plan tree → response shape."""
        supergraph = self.supergraph
        root = {
            "query": supergraph.query_type,
            "mutation": supergraph.mutation_type,
            "subscription": supergraph.subscription_type,
        }[prepared.op_type]
        if root is None:
            raise ValueError(f"the schema has no {prepared.op_type} type")
        sel = normalize_operation(
            supergraph.schema, prepared.operation, prepared.fragments, variables, root
        )
        node, count, root_keys = build_plan(
            supergraph, sel, prepared.op_type, prepared.var_types, self._fieldsets
        )
        restore = prepared.restore
        if restore is None:
            return PlannedOperation(node, count, compile_shape(sel, root_keys, self.api_schema))
        original = normalize_operation(
            supergraph.schema, restore.operation, restore.fragments, variables, root
        )
        shape = compile_shape(sel, root_keys, self.api_schema, original, restore.removed)
        return PlannedOperation(node, count, shape)
