"""Placing fields in fetch groups, top-down.

A field goes into the fetch group of its position when the group's subgraph resolves it
(or an enclosing `@provides` does); its sub-selection is then placed one level down in the
same group. What the subgraph cannot resolve goes to an entity jump (`jumps`). Abstract
types are split per runtime type, keeping only the types the subgraph knows; a subgraph
that has the interface as an `@interfaceObject` sees the interface type, and a jump to the
subgraph owning the interface gives the real types.

Whatever neither the group nor any jump can resolve is returned as leftovers (value types
reached through a shareable field), so that the root phase can try another subgraph.
"""

from __future__ import annotations

from . import jumps
from .coverage import provided_field
from .normalize import FNode, SelSet
from .state import JumpTarget, Planning, Position

__all__ = ["place_field", "plan_object_fields", "plan_selection_set"]

Leftovers = dict[str, list[FNode]]


def place_field(
    planning: Planning, at: Position, f: FNode, requires_ok: bool = False
) -> FNode | None:
    """Add `f` to the group at `at` if its subgraph can resolve it; return what is left
    (`f` itself, the part of its sub-selection left, or None).

    A field with `@requires` is only placed by the entity jump that fetched its required
    fields first (`requires_ok`), unless an enclosing `@provides` provides it.
    """
    if f.name == "__typename":
        return None
    supergraph = planning.supergraph
    group = at.group
    t, as_type, reg = at.type_name, at.as_type, at.reg
    provided = provided_field(at.provided, t, as_type, f.name)
    if provided is None and group.graph not in supergraph.field_graphs(as_type, f.name):
        return f
    join = supergraph.field_join(as_type, f.name, group.graph)
    if join is not None and join.requires and not requires_ok and provided is None:
        return f
    field_id = reg.field_id(f.key, f.args)
    # The subgraph's own type of the field (it may differ in nullability) is part of what
    # tells two fields apart: they must not share a data key.
    sig = (f.name, field_id, join.type if join is not None and join.type else f.type_str)
    data_key = reg.key_for(sig, f.key)
    reg.by_field.setdefault((t, f.name, field_id), data_key)
    sub_field = at.selection.add(data_key, f.name, f.args, f.sub is not None)
    group.variables.update(f.arg_vars)
    reg.placed.setdefault((data_key, t), set()).add(group)
    for touched in planning.touched:
        touched.add(group)
    if f.sub is None or sub_field.sub is None:
        return None
    if join is not None and join.provides:
        sub_provided: SelSet | None = planning.fieldset(f.named_type, join.provides)
    else:
        sub_provided = provided.sub if provided is not None else None
    child_path = (*at.path, data_key, *(("@",) * f.type_str.count("[")))
    # The field's type in this subgraph when it differs from the supergraph's.
    graph_type = join.type.strip("[]!") if join is not None and join.type else None
    child = reg.child(data_key)
    if not child.reach:  # the subgraphs that may serve the objects below
        child.reach = (reg.reach | supergraph.key_graphs(as_type)) & supergraph.field_graphs(
            as_type, f.name
        )
    below = Position(
        group, sub_field.sub, child_path, child, sub_provided, f.sub.type_name, f.sub.type_name
    )
    left = plan_selection_set(planning, below, f.sub, graph_type)
    if not left:
        return None
    return f.with_sub(SelSet(f.sub.type_name, f.sub.abstract, left))


def plan_selection_set(
    planning: Planning, at: Position, sel: SelSet, graph_type: str | None
) -> Leftovers:
    """Plan a selection set at `at` (typed with the selection's type); `graph_type` is the
    subgraph's own type there when it differs from the supergraph's (e.g. an object
    instead of a union).

    When several subgraphs could serve the (shareable) field leading here, only the
    runtime types all of them know get their type conditions fetched, so that the answer
    does not depend on which subgraph served the field.
    """
    if not sel.abstract:
        t = sel.type_name
        left = plan_object_fields(planning, at, sel.by_type.get(t, []))
        return {t: left} if left else {}
    supergraph = planning.supergraph
    graph = at.group.graph
    abstract = sel.type_name
    at.selection.typename = True
    if supergraph.is_interface_object(abstract, graph):
        return _plan_interface_object(planning, at, sel)
    known = supergraph.possible_types_in(abstract, graph)
    abstract_model = supergraph.types.get(abstract)
    if abstract_model is not None and abstract_model.kind == "UNION" and not abstract_model.members:
        known = set(sel.by_type)
    if graph_type is not None and graph_type != abstract:
        graph_model = supergraph.types.get(graph_type)
        if graph_model is not None and graph_model.kind == "OBJECT":
            known = {graph_type}
        else:
            known = supergraph.possible_types_in(graph_type, graph)
    elif len(at.reg.reach) > 1 and graph in at.reg.reach:
        for other in at.reg.reach:
            known = known & supergraph.possible_types_in(abstract, other)
    if len(sel.by_type) == 1:
        # An interface without any implementation: only its own fields can be asked.
        left = plan_object_fields(planning, at, sel.by_type.get(abstract, []))
        return {abstract: left} if left else {}
    leftovers: Leftovers = {}
    for t, fields in sel.by_type.items():
        if t == abstract or t not in known:
            continue
        left = plan_object_fields(planning, at.of_type(t, at.selection.frag(t)), fields)
        if left:
            leftovers[t] = left
    return leftovers


def _plan_interface_object(planning: Planning, at: Position, sel: SelSet) -> Leftovers:
    """The subgraph has the interface `sel.type_name` as an `@interfaceObject`: it resolves
    the interface's fields, and a jump to the subgraph owning the interface (by its key)
    gives `__typename` and the fields of type conditions."""
    interface = sel.type_name
    base = sel.by_type.get(interface, [])
    base_keys = {f.key for f in base}
    leftovers: Leftovers = {}
    left = plan_object_fields(planning, at, base)
    if left:
        leftovers[interface] = left
    needs_real_type = any(
        f.name == "__typename" or (t != interface and f.key not in base_keys)
        for t, fields in sel.by_type.items()
        for f in fields
    )
    if not needs_real_type:
        return leftovers
    owner = _interface_owner(planning, interface)
    if owner is None:
        return leftovers
    owner_group = jumps.entity_fetch_group(planning, at, owner, None)
    if owner_group is None:
        return leftovers
    owner_sel = owner_group.sel(interface)
    owner_sel.typename = True
    known = planning.supergraph.possible_types_in(interface, owner.graph)
    for t, fields in sel.by_type.items():
        if t == interface or t not in known:
            continue
        todo = [
            f
            for f in fields
            if not (
                f.sub is None
                and f.key in base_keys
                and at.reg.find(interface, f.name, f.args, f.sig) is not None
            )
        ]
        in_owner = Position(owner_group, owner_sel.frag(t), at.path, at.reg, None, t, t)
        left = plan_object_fields(planning, in_owner, todo)
        if left:
            leftovers[t] = left
    return leftovers


def _interface_owner(planning: Planning, interface: str) -> JumpTarget | None:
    """The first subgraph defining the interface itself with a resolvable `@key`."""
    model = planning.supergraph.types.get(interface)
    if model is None:
        return None
    for join in model.joins:
        if not join.interface_object and join.key and join.resolvable:
            return JumpTarget(join.graph, interface, join.key)
    return None


def plan_object_fields(planning: Planning, at: Position, fields: list[FNode]) -> list[FNode]:
    """Place the fields of one object type at `at`, jumping to entities for the rest;
    returns what is left."""
    left: list[FNode] = []
    for f in fields:
        rest = place_field(planning, at, f)
        if rest is not None:
            left.append(rest)
    if left:
        left = jumps.jump_to_entities(planning, at, left)
    return left
