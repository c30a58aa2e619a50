"""Root fields → subgraphs: the first planning phase after normalization.

Each root field goes to the subgraph that resolves most of its selection without jumps
(preferring one already asked), in one root fetch group per subgraph. A query's root groups
run in parallel; a mutation's root fields run one after another in document order, so each
run of fields of one subgraph is a group of its own (a mutation segment). When the chosen
subgraph leaves value-type fields that no jump can reach, the field is asked again from
another subgraph that resolves it (a shareable root field).
"""

from __future__ import annotations

from .coverage import local_coverage
from .fetches import FetchGroup
from .normalize import FNode, SelSet
from .placement import place_field
from .state import Planning, Position

__all__ = ["plan_root_fields"]


def plan_root_fields(planning: Planning, sel: SelSet, mutation: bool) -> None:
    """Place the root fields of `sel` (and, through them, the whole operation) in fetch
    groups; the response keys of fields no subgraph can serve go to `planning.unplanned`."""
    supergraph = planning.supergraph
    root = sel.type_name
    planning.root_keys.distinct = mutation
    last: FetchGroup | None = None
    for f in sel.by_type.get(root, ()):
        if f.name == "__typename":
            continue
        tried: set[str] = set()
        pending: FNode | None = f
        while pending is not None:
            candidates = [
                g for g in sorted(supergraph.field_graphs(root, f.name)) if g not in tried
            ]
            if not candidates:
                break
            existing = {g.graph: g for g in planning.groups if not g.entity}
            graph = _choose_graph(planning, root, pending, candidates, existing)
            tried.add(graph)
            if mutation:
                if last is not None and last.graph == graph:
                    group = last
                else:
                    planning.segment += 1
                    group = last = planning.new_group(graph, (), planning.root_keys)
            else:
                group = existing.get(graph) or planning.new_group(graph, (), planning.root_keys)
            at = Position(group, group.root, (), planning.root_keys, None, root, root)
            pending = place_field(planning, at, pending, requires_ok=True)
            if mutation or (
                pending is not None and not _only_value_types_left(planning, pending.sub)
            ):
                break
        if pending is not None:
            planning.unplanned.append(f.key)


def _choose_graph(
    planning: Planning,
    root: str,
    f: FNode,
    candidates: list[str],
    existing: dict[str, FetchGroup],
) -> str:
    """The candidate resolving most of `f`'s selection itself (twice the fields it
    resolves, plus one when a root group already asks it; the first on a tie)."""

    def score(graph: str) -> int:
        join = planning.supergraph.field_join(root, f.name, graph)
        provided = None
        if join is not None and join.provides:
            provided = planning.fieldset(f.named_type, join.provides)
        already_asked = 1 if graph in existing else 0
        return 2 * local_coverage(planning, graph, f.sub, provided) + already_asked

    return max(candidates, key=score)


def _only_value_types_left(planning: Planning, sel: SelSet | None) -> bool:
    """Whether fields left unplanned sit on value types only (no entity could be
    jumped to), so that another subgraph resolving the parent field can serve them."""
    if sel is None:
        return False
    for t, fields in sel.by_type.items():
        for f in fields:
            if f.partial:
                if not _only_value_types_left(planning, f.sub):
                    return False
            elif any(j.key for j in planning.supergraph.types[t].joins):
                return False
    return True
