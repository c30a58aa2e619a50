"""Fetch groups → the plan tree: the last planning phase.

A group runs after the groups it depends on: groups are ordered by dependency depth, the
groups of one depth run in `Parallel`, the depths in `Sequence`. An entity group becomes a
`Flatten` of its fetch at its path. A mutation's segments (runs of root fields of one
subgraph, with their entity fetches) run one after another, in document order.
"""

from __future__ import annotations

from ..plan import Flatten, Parallel, PlanNode, Sequence
from ..supergraph import Supergraph
from .fetch_nodes import fetch_node
from .fetches import FetchGroup

__all__ = ["assemble_plan"]


def assemble_plan(
    supergraph: Supergraph, groups: list[FetchGroup], op_type: str, var_types: dict[str, str]
) -> PlanNode | None:
    """The plan running `groups` (None when there is nothing to fetch)."""
    if not groups:
        return None
    mutation = op_type == "mutation"
    depths: dict[int, int] = {}

    def depth(group: FetchGroup) -> int:
        got = depths.get(group.id)
        if got is None:
            depths[group.id] = 0  # cycle guard
            got = 1 + max((depth(d) for d in group.deps), default=-1)
            depths[group.id] = got
        return got

    by_segment: dict[int, dict[int, list[PlanNode]]] = {}
    for group in groups:
        fetch = fetch_node(supergraph, group, op_type, var_types)
        node: PlanNode = Flatten(group.path, fetch) if group.entity else fetch
        segment = group.segment if mutation else 0
        by_segment.setdefault(segment, {}).setdefault(depth(group), []).append(node)
    steps: list[PlanNode] = []
    for segment in sorted(by_segment):
        levels = by_segment[segment]
        for level in sorted(levels):
            nodes = levels[level]
            steps.append(nodes[0] if len(nodes) == 1 else Parallel(nodes))
    return steps[0] if len(steps) == 1 else Sequence(steps)
