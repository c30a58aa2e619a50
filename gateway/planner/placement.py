"""Placing fields in fetch groups, top-down.

A field goes into the fetch group of its position when the group's subgraph resolves it
(or an enclosing `@provides` does); its sub-selection is then placed one level down in the
same group. What the subgraph cannot resolve goes to an entity jump (below). Abstract
types are split per runtime type, keeping only the types the subgraph knows; a subgraph
that has the interface as an `@interfaceObject` sees the interface type, and a jump to the
subgraph owning the interface gives the real types.

Whatever neither the group nor any jump can resolve is returned as leftovers (value types
reached through a shareable field), so that the root phase can try another subgraph.
"""

from __future__ import annotations

from .coverage import local_coverage, provided_field
from .fetches import FetchGroup
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
    owner_group = entity_fetch_group(planning, at, owner, None)
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
        left = jump_to_entities(planning, at, left)
    return left


# --- entity jumps ------------------------------------------------------------------------
#
# Entity jumps: reaching a field of another subgraph through an entity's `@key`.
#
# For a field its group's subgraph cannot resolve, the planner picks a subgraph that resolves
# it and a `@key` of the entity there (`choose_jump_target`), plans the key fields — and the
# field's `@requires` fields — at the current position (`plan_representation_fields`, which
# may jump again: key chains), and puts the field in an entity fetch group at the same path
# (`entity_fetch_group`) that depends on every group fetching those representation fields.
#
# Placement and jumps call each other (a field inside a jumped-to entity is placed again;
# key fields are placed before a jump): one recursive phase, so one module.


__all__ = ["entity_fetch_group", "jump_to_entities"]

#: Rounds of jumps for the fields left at one position (a jump may enable another).
_MAX_JUMP_ROUNDS = 4


def jump_to_entities(planning: Planning, at: Position, fields: list[FNode]) -> list[FNode]:
    """Place `fields` (left by the group at `at`) in entity fetch groups; returns what no
    jump could place."""
    remaining = fields
    tried: dict[str, set[str]] = {}
    for _ in range(_MAX_JUMP_ROUNDS):
        still_left: list[FNode] = []
        progress = False
        for f in remaining:
            excluded = tried.setdefault(f.key, set())
            target = _choose_jump_target(planning, at, f, excluded)
            if target is None:
                still_left.append(f)
                continue
            excluded.add(target.graph)
            join = planning.supergraph.field_join(target.as_type, f.name, target.graph)
            requires = join.requires if join is not None else None
            group = entity_fetch_group(planning, at, target, requires)
            if group is None:
                still_left.append(f)
                continue
            entity_sel = group.sel(target.as_type)
            in_entity = Position(
                group, entity_sel, at.path, at.reg, None, at.type_name, target.as_type
            )
            rest = place_field(planning, in_entity, f, requires_ok=True)
            if rest is not f:
                progress = True
            if rest is not None:
                still_left.append(rest)
        remaining = still_left
        if not remaining or not progress:
            break
    return remaining


def _choose_jump_target(
    planning: Planning, at: Position, f: FNode, excluded: set[str]
) -> JumpTarget | None:
    """The subgraph and key to jump to for `f`: fewest key fields still to fetch first,
    then a subgraph already fetched from here, then the most of `f`'s selection resolved
    there. The type's own keys come first, then keys of its interfaces."""
    supergraph = planning.supergraph
    t = at.type_name
    graph_here = at.group.graph
    candidates: list[JumpTarget] = []
    for graph in sorted(supergraph.field_graphs(t, f.name)):
        if graph in excluded:
            continue
        join = supergraph.field_join(t, f.name, graph)
        if graph == graph_here and not (join is not None and join.requires):
            continue
        for key in supergraph.keys(t, graph):
            candidates.append(JumpTarget(graph, t, key))
    interfaces = set(supergraph.interfaces_of(t))
    if at.as_type != t:
        interfaces.add(at.as_type)
    for interface in sorted(interfaces):
        model = supergraph.types.get(interface)
        if model is None or f.name not in model.fields:
            continue
        for graph in sorted(supergraph.field_graphs(interface, f.name)):
            if graph in excluded or graph == graph_here:
                continue
            for key in supergraph.keys(interface, graph):
                candidates.append(JumpTarget(graph, interface, key))
    if not candidates:
        return None
    jumped_to = {g.graph for g in planning.groups if g.parent is at.group and g.path == at.path}

    def cost(target: JumpTarget) -> tuple[int, int, int]:
        return (
            _missing_key_fields(planning, at, target.key),
            0 if target.graph in jumped_to else 1,
            -local_coverage(planning, target.graph, f.sub),
        )

    return min(candidates, key=cost)


def _covering_fetches(at: Position, dk: str) -> set[FetchGroup]:
    """Entity fetches rooted at this path that fetch `dk` for every object of the type."""
    t = at.type_name
    return {
        g for g in at.reg.placed.get((dk, t), ()) if g.entity and g.path == at.path and t in g.reprs
    }


def _missing_key_fields(planning: Planning, at: Position, key: str) -> int:
    """How many fields of `key` are neither fetched yet nor resolvable by the group at
    `at` (a field no subgraph resolves weighs 100)."""
    t = at.type_name
    cost = 0
    for f in planning.fieldset(t, key).by_type.get(t, ()):
        if f.name == "__typename":
            continue
        dk = at.reg.find(t, f.name, f.args, f.sig)
        if dk is not None and _covering_fetches(at, dk):
            continue
        if _resolves(planning, at, f.name):
            continue
        cost += 1 if planning.supergraph.field_graphs(t, f.name) else 100
    return cost


def _resolves(planning: Planning, at: Position, name: str) -> bool:
    """Whether the group at `at` resolves the field `name` there itself."""
    if provided_field(at.provided, at.type_name, at.as_type, name) is not None:
        return True
    return at.group.graph in planning.supergraph.field_graphs(at.as_type, name)


def _plan_representation_fields(
    planning: Planning, at: Position, fieldset: SelSet, deps: set[FetchGroup]
) -> bool:
    """Plan the fields of a key or requires selection at `at` (so that they are in the
    data when the representations are built); adds the groups fetching them to `deps`.
    False when some field cannot be fetched."""
    t = at.type_name
    for f in fieldset.by_type.get(t, ()):
        if f.name == "__typename":
            at.selection.typename = True
            continue
        dk = at.reg.find(t, f.name, f.args, f.sig)
        if dk is not None and f.sub is None:
            if dk in at.selection.fields:
                continue
            covering = _covering_fetches(at, dk)
            if covering:
                deps.update(covering)
                continue
        planning.touched.append(set())
        left = plan_object_fields(planning, at, [f])
        deps.update(planning.touched.pop())
        if left:
            return False
    return True


def entity_fetch_group(
    planning: Planning, at: Position, target: JumpTarget, requires: str | None
) -> FetchGroup | None:
    """The entity fetch group (new, or shared with an earlier jump) that gets fields of
    `target` for the objects at `at`, its representation fields planned; None when they
    cannot be fetched (or the jump is already being planned: a cyclic key)."""
    guard = (at.group.id, at.type_name, target.graph, target.key, at.path, requires)
    if guard in planning.in_progress:
        return None
    planning.in_progress.add(guard)
    try:
        return _entity_fetch_group(planning, at, target, requires)
    finally:
        planning.in_progress.discard(guard)


def _entity_fetch_group(
    planning: Planning, at: Position, target: JumpTarget, requires: str | None
) -> FetchGroup | None:
    t = at.type_name
    at.selection.typename = True
    deps: set[FetchGroup] = {at.group}
    key_sel = planning.fieldset(t, target.key)
    if not _plan_representation_fields(planning, at, key_sel, deps):
        return None
    sels = [key_sel]
    if requires:
        requires_sel = planning.fieldset(t, requires)
        if not _plan_representation_fields(planning, at, requires_sel, deps):
            return None
        sels.append(requires_sel)
    as_type = target.as_type
    if as_type != t and planning.supergraph.is_interface_object(as_type, target.graph):
        representation_type = as_type
    else:
        representation_type = t
    group: FetchGroup | None = None
    for candidate in planning.groups:
        if (
            candidate.parent is not at.group
            or candidate.graph != target.graph
            or candidate.path != at.path
        ):
            continue
        if candidate.reprs.get(t, (representation_type,))[0] != representation_type:
            continue
        if any(d is candidate or d.depends_on(candidate) for d in deps):
            continue
        if t in candidate.reprs and _argument_conflict(candidate.reprs[t][1], sels, t):
            continue
        group = candidate
        break
    if group is None:
        group = planning.new_group(target.graph, at.path, at.reg, at.group)
    group.deps.update(d for d in deps if d is not group)
    entry = group.reprs.get(t)
    if entry is None:
        group.reprs[t] = (representation_type, sels)
    else:
        entry[1].extend(sels)
    return group


def _argument_conflict(existing: list[SelSet], new: list[SelSet], t: str) -> bool:
    """Whether two representation selections need one field with different arguments."""
    sigs: dict[str, tuple[str, str, str]] = {}
    for s in existing:
        for f in s.by_type.get(t, ()):
            sigs[f.name] = f.sig
    for s in new:
        for f in s.by_type.get(t, ()):
            if sigs.get(f.name, f.sig) != f.sig:
                return True
    return False
