"""What a subgraph resolves by itself: its own fields, and those an enclosing `@provides`
provides. Used to place fields and to prefer the subgraph that needs the fewest jumps."""

from __future__ import annotations

from .normalize import FNode, SelSet
from .state import Planning

__all__ = ["local_coverage", "provided_field"]

#: How deep `local_coverage` looks: enough to tell subgraphs apart, bounded for cold plans.
_COVERAGE_DEPTH = 3


def provided_field(
    provided: SelSet | None, type_name: str, as_type: str, name: str
) -> FNode | None:
    """The field `name` of a `@provides` selection, on the runtime type, the type the
    subgraph knows it as, or the provided type itself."""
    if provided is None:
        return None
    for key in (type_name, as_type, provided.type_name):
        for f in provided.by_type.get(key, ()):
            if f.name == name:
                return f
    return None


def local_coverage(
    planning: Planning,
    graph: str,
    sel: SelSet | None,
    provided: SelSet | None = None,
    depth: int = 0,
) -> int:
    """How many fields of `sel` (a few levels deep) `graph` resolves without a jump."""
    if sel is None or depth > _COVERAGE_DEPTH:
        return 0
    supergraph = planning.supergraph
    score = 0
    for t, fields in sel.by_type.items():
        if sel.abstract and t == sel.type_name:
            continue
        for f in fields:
            if f.name == "__typename":
                continue
            provided_here = provided_field(provided, t, t, f.name)
            if provided_here is None and graph not in supergraph.field_graphs(t, f.name):
                continue
            join = supergraph.field_join(t, f.name, graph)
            sub_provided: SelSet | None = None
            if join is not None and join.provides:
                sub_provided = planning.fieldset(f.named_type, join.provides)
            elif provided_here is not None:
                sub_provided = provided_here.sub
            score += 1 + local_coverage(planning, graph, f.sub, sub_provided, depth + 1)
    return score
