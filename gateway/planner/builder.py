"""A normalized operation → a plan: the planning phases after normalization, in order.

1. `roots`: each root field goes to a subgraph, in a root fetch group.
2. `placement` (with its entity jumps): fields are placed greedily, top-down, in the group of their
   position when its subgraph resolves them (or an enclosing `@provides` does); otherwise an
   entity jump through a `@key` puts them in an entity fetch group at the same path, after
   the key and `@requires` fields are planned where the jump starts.
3. `assemble`: the groups become fetch nodes (`fetch_nodes`), `Flatten`ed at their path,
   ordered by dependency depth in `Sequence`/`Parallel` nodes.

Every field fetched at a position gets one data key (see `Registry`), so the answers of all
subgraphs merge into one tree without re-keying, and the response shape reads them back.
"""

from __future__ import annotations

from ..plan import PlanNode
from ..supergraph import Supergraph
from .assemble import assemble_plan
from .fetches import Registry
from .normalize import SelSet
from .roots import plan_root_fields
from .state import Planning

__all__ = ["PlanningError", "build_plan"]


class PlanningError(Exception):
    """The operation cannot be satisfied by the subgraphs of the supergraph."""


def build_plan(
    supergraph: Supergraph,
    sel: SelSet,
    op_type: str,
    var_types: dict[str, str],
    fieldsets: dict[tuple[str, str], SelSet],
) -> tuple[PlanNode | None, int, Registry]:
    """Plan a normalized operation; returns the plan root, its fetch count and the data
    keys of its root (for the response shape).

    `fieldsets` caches normalized `join__FieldSet`s across calls for one supergraph.
    Raises `PlanningError` when some field cannot be reached from any subgraph.
    """
    planning = Planning(supergraph, fieldsets)
    plan_root_fields(planning, sel, op_type == "mutation")
    if planning.unplanned:
        raise PlanningError(f"Cannot plan the selection of {', '.join(planning.unplanned)}.")
    node = assemble_plan(supergraph, planning.groups, op_type, var_types)
    return node, len(planning.groups), planning.root_keys
