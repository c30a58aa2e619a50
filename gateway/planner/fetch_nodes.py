"""Fetch groups → fetch nodes: the operation text sent to each subgraph, its variables,
and for an entity fetch how to build its representations from the merged data."""

from __future__ import annotations

from ..plan import Fetch, ReprField, ReprSelection
from ..supergraph import Supergraph
from .fetches import FetchGroup, Registry
from .normalize import SelSet

__all__ = ["fetch_node"]


def fetch_node(
    supergraph: Supergraph, group: FetchGroup, op_type: str, var_types: dict[str, str]
) -> Fetch:
    """The fetch node of one group; `var_types` are the operation's variable definitions
    (type and default), of which the fetch declares those its fields use."""
    names = sorted(v for v in group.variables if v in var_types)
    var_defs = ", ".join(f"${v}: {var_types[v]}" for v in names)
    requires: ReprSelection | None = None
    if group.entity:
        defs = "$representations: [_Any!]!" + (", " + var_defs if var_defs else "")
        body = " ".join(f"... on {t} {s.render()}" for t, s in group.entity_sels.items())
        operation = f"query({defs}) {{ _entities(representations: $representations) {{ {body} }} }}"
        by_type: dict[str, tuple[ReprField, ...]] = {}
        typename_as: dict[str, str] = {}
        for t, (representation_type, sels) in group.reprs.items():
            by_type[t] = _representation_fields(group.reg, t, sels)
            typename_as[t] = representation_type
        requires = ReprSelection(by_type, typename_as)
    else:
        head = op_type + (f"({var_defs})" if var_defs else "")
        operation = f"{head} {group.root.render()}"
    return Fetch(
        service=supergraph.graph_names.get(group.graph, group.graph),
        url=supergraph.graphs.get(group.graph, ""),
        operation=operation,
        variable_usages=tuple(names),
        requires=requires,
        mutation=op_type == "mutation" and not group.entity,
    )


def _representation_fields(reg: Registry, t: str, sels: list[SelSet]) -> tuple[ReprField, ...]:
    """The fields of the key and requires selections `sels`, read from their data keys."""
    out: dict[str, ReprField] = {}
    for s in sels:
        for f in s.by_type.get(t, ()):
            if f.name == "__typename" or f.name in out:
                continue
            dk = reg.find(t, f.name, f.args, f.sig) or f.key
            sub = _representation_selection(reg.child(dk), f.sub) if f.sub is not None else None
            out[f.name] = ReprField(f.name, dk, sub)
    return tuple(out.values())


def _representation_selection(reg: Registry, sel: SelSet) -> ReprSelection:
    """A value object inside a representation (`"*"`: whatever its type, else per type)."""
    by_type: dict[str, tuple[ReprField, ...]] = {}
    for t, fields in sel.by_type.items():
        # The subgraph needs the runtime type of an abstract value to read it back.
        rf: list[ReprField] = [ReprField("__typename", "__typename")] if sel.abstract else []
        for f in fields:
            if f.name == "__typename":
                if not sel.abstract:
                    rf.append(ReprField("__typename", "__typename"))
                continue
            dk = reg.find(t, f.name, f.args, f.sig) or f.key
            sub = _representation_selection(reg.child(dk), f.sub) if f.sub is not None else None
            rf.append(ReprField(f.name, dk, sub))
        by_type["*" if (not sel.abstract or t == sel.type_name) else t] = tuple(rf)
    return ReprSelection(by_type)
