"""The planning algorithm: a normalized operation → fetch groups → plan nodes.

Fields are placed greedily, top-down. A field goes into the current fetch group when its
subgraph resolves it (or an enclosing `@provides` does). Otherwise the planner jumps: it
picks a subgraph that resolves the field and a `@key` of the entity there, plans the key
fields (and any `@requires` fields) in the current group — which may itself need jumps,
giving key chains — and adds the field to an entity fetch group at the same path that
depends on every group fetching those fields. What no jump can reach (value types) is
returned as leftovers, so a parent field shared by several subgraphs can be fetched again
from another one. Groups become Fetch/Flatten nodes ordered by dependency depth.

Every field fetched at a position gets one data key (see `Registry`), so the answers of all
subgraphs merge into one tree without re-keying, and the response shape reads them back.
"""

from __future__ import annotations

from graphql import GraphQLSchema

from ..plan import Fetch, Flatten, Parallel, PlanNode, ReprField, ReprSelection, Sequence
from ..supergraph import Supergraph
from .fetches import Group, Registry, SubSel
from .normalize import FNode, SelSet, normalize_fieldset

__all__ = ["PlanningError", "build_plan"]


class PlanningError(Exception):
    """The operation cannot be satisfied by the subgraphs of the supergraph."""


_MAX_JUMP_ROUNDS = 4


def _list_depth(type_str: str) -> int:
    return type_str.count("[")


class _Builder:
    def __init__(
        self,
        sg: Supergraph,
        var_types: dict[str, str],
        fieldsets: dict[tuple[str, str], SelSet],
    ) -> None:
        self.sg = sg
        self.fieldsets = fieldsets
        self.schema: GraphQLSchema = sg.schema
        self.var_types = var_types
        self.groups: list[Group] = []
        self.touched: list[set[Group]] = []
        self.segment = 0
        self.segments: dict[int, int] = {}
        self.root_reg = Registry()
        self.root_reg.reach = frozenset(sg.graphs)
        self.in_progress: set[tuple[object, ...]] = set()
        self.unplanned: list[str] = []

    # -- helpers -------------------------------------------------------------------------

    def fieldset(self, type_name: str, fs: str) -> SelSet:
        got = self.fieldsets.get((type_name, fs))
        if got is None:
            got = self.fieldsets[(type_name, fs)] = normalize_fieldset(self.schema, type_name, fs)
        return got

    def new_group(
        self, graph: str, path: tuple[str, ...], entity: bool, reg: Registry, parent: Group | None
    ) -> Group:
        g = Group(len(self.groups), graph, path, entity, reg, parent)
        if parent is not None:
            g.deps.add(parent)
        self.groups.append(g)
        self.segments[g.id] = self.segment
        return g

    def provided(self, prov: SelSet | None, t: str, view: str, name: str) -> FNode | None:
        if prov is None:
            return None
        for key in (t, view, prov.type_name):
            for f in prov.by_type.get(key, ()):
                if f.name == name:
                    return f
        return None

    def resolvable(self, graph: str, t: str, view: str, name: str, prov: SelSet | None) -> bool:
        if self.provided(prov, t, view, name) is not None:
            return True
        return graph in self.sg.field_graphs(view, name)

    def local_score(
        self, graph: str, sel: SelSet | None, prov: SelSet | None = None, depth: int = 0
    ) -> int:
        if sel is None or depth > 3:
            return 0
        score = 0
        for t, fields in sel.by_type.items():
            if sel.abstract and t == sel.type_name:
                continue
            for f in fields:
                if f.name == "__typename":
                    continue
                provided = self.provided(prov, t, t, f.name)
                if provided is None and graph not in self.sg.field_graphs(t, f.name):
                    continue
                fj = self.sg.field_join(t, f.name, graph)
                sub_prov: SelSet | None = None
                if fj is not None and fj.provides:
                    sub_prov = self.fieldset(f.named_type, fj.provides)
                elif provided is not None:
                    sub_prov = provided.sub
                score += 1 + self.local_score(graph, f.sub, sub_prov, depth + 1)
        return score

    # -- placing fields ------------------------------------------------------------------

    def place_field(
        self,
        g: Group,
        out: SubSel,
        t: str,
        view: str,
        f: FNode,
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
        requires_ok: bool = False,
    ) -> FNode | None:
        """Add `f` to `out` in `g` if its subgraph can resolve it; return what is left."""
        if f.name == "__typename":
            return None
        graph = g.graph
        if not self.resolvable(graph, t, view, f.name, prov):
            return f
        provided = self.provided(prov, t, view, f.name)
        fj = self.sg.field_join(view, f.name, graph)
        if fj is not None and fj.requires and not requires_ok and provided is None:
            return f
        fid = reg.field_id(f.key, f.args)
        sig = (f.name, fid, fj.type if fj is not None and fj.type else f.type_str)
        dk = reg.key_for(sig, f.key)
        reg.by_field.setdefault((t, f.name, fid), dk)
        sf = out.add(dk, f.name, f.args, f.sub is not None)
        g.variables.update(f.arg_vars)
        reg.placed.setdefault((dk, t), set()).add(g)
        for s in self.touched:
            s.add(g)
        if f.sub is None or sf.sub is None:
            return None
        if fj is not None and fj.provides:
            sub_prov: SelSet | None = self.fieldset(f.named_type, fj.provides)
        else:
            sub_prov = provided.sub if provided is not None else None
        child_path = (*path, dk, *(("@",) * _list_depth(f.type_str)))
        graph_type = fj.type.strip("[]!") if fj is not None and fj.type else None
        child = reg.child(dk)
        if not child.reach:
            child.reach = (reg.reach | self.sg.key_graphs(view)) & self.sg.field_graphs(
                view, f.name
            )
        left = self.plan_position(g, sf.sub, f.sub, child_path, child, sub_prov, graph_type)
        if not left:
            return None
        return f.with_sub(SelSet(f.sub.type_name, f.sub.abstract, left))

    def plan_position(
        self,
        g: Group,
        out: SubSel,
        sel: SelSet,
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
        graph_type: str | None = None,
    ) -> dict[str, list[FNode]]:
        """Plan a selection set at one position; `graph_type` is the subgraph's own type
        there when it differs from the supergraph's (e.g. an object instead of a union).

        When several subgraphs could serve the (shareable) field leading here, only the
        runtime types all of them know get their type conditions fetched, so that the
        answer does not depend on which subgraph served the field.
        """
        if not sel.abstract:
            t = sel.type_name
            left = self.plan_object(g, out, t, t, sel.by_type.get(t, []), path, reg, prov)
            return {t: left} if left else {}
        p = sel.type_name
        out.typename = True
        if self.sg.is_interface_object(p, g.graph):
            return self.plan_interface_object(g, out, sel, path, reg, prov)
        known = self.sg.possible_types_in(p, g.graph)
        tm = self.sg.types.get(p)
        if tm is not None and tm.kind == "UNION" and not tm.members:
            known = set(sel.by_type)
        if graph_type is not None and graph_type != p:
            gt = self.sg.types.get(graph_type)
            if gt is not None and gt.kind == "OBJECT":
                known = {graph_type}
            else:
                known = self.sg.possible_types_in(graph_type, g.graph)
        elif len(reg.reach) > 1 and g.graph in reg.reach:
            for other in reg.reach:
                known = known & self.sg.possible_types_in(p, other)
        leftovers: dict[str, list[FNode]] = {}
        if len(sel.by_type) == 1:
            # An interface without any implementation: only its own fields can be asked.
            lo = self.plan_object(g, out, p, p, sel.by_type.get(p, []), path, reg, prov)
            return {p: lo} if lo else {}
        for t, fields in sel.by_type.items():
            if t == p or t not in known:
                continue
            lo = self.plan_object(g, out.frag(t), t, t, fields, path, reg, prov)
            if lo:
                leftovers[t] = lo
        return leftovers

    def plan_interface_object(
        self,
        g: Group,
        out: SubSel,
        sel: SelSet,
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
    ) -> dict[str, list[FNode]]:
        p = sel.type_name
        base = sel.by_type.get(p, [])
        base_keys = {f.key for f in base}
        leftovers: dict[str, list[FNode]] = {}
        lo = self.plan_object(g, out, p, p, base, path, reg, prov)
        if lo:
            leftovers[p] = lo
        needs_real = any(
            f.name == "__typename" or (t != p and f.key not in base_keys)
            for t, fields in sel.by_type.items()
            for f in fields
        )
        if not needs_real:
            return leftovers
        owner = self.interface_owner(p)
        if owner is None:
            return leftovers
        graph, key = owner
        c = self.entity_group(g, out, p, p, graph, p, key, path, reg, prov, None)
        if c is None:
            return leftovers
        csel = c.sel(p)
        csel.typename = True
        known = self.sg.possible_types_in(p, graph)
        for t, fields in sel.by_type.items():
            if t == p or t not in known:
                continue
            todo = [
                f
                for f in fields
                if not (
                    f.sub is None
                    and f.key in base_keys
                    and reg.find(p, f.name, f.args, f.sig) is not None
                )
            ]
            lo = self.plan_object(c, csel.frag(t), t, t, todo, path, reg, None)
            if lo:
                leftovers[t] = lo
        return leftovers

    def interface_owner(self, iface: str) -> tuple[str, str] | None:
        tm = self.sg.types.get(iface)
        if tm is None:
            return None
        for j in tm.joins:
            if not j.interface_object and j.key and j.resolvable:
                return j.graph, j.key
        return None

    def plan_object(
        self,
        g: Group,
        out: SubSel,
        t: str,
        view: str,
        fields: list[FNode],
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
    ) -> list[FNode]:
        left: list[FNode] = []
        for f in fields:
            lo = self.place_field(g, out, t, view, f, path, reg, prov)
            if lo is not None:
                left.append(lo)
        if left:
            left = self.jump(g, out, t, view, left, path, reg, prov)
        return left

    # -- entity jumps ----------------------------------------------------------------------

    def jump(
        self,
        g: Group,
        out: SubSel,
        t: str,
        view: str,
        fields: list[FNode],
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
    ) -> list[FNode]:
        remaining = fields
        tried: dict[str, set[str]] = {}
        for _ in range(_MAX_JUMP_ROUNDS):
            nxt: list[FNode] = []
            progress = False
            for f in remaining:
                excluded = tried.setdefault(f.key, set())
                target = self.choose_target(g, t, view, f, prov, excluded, reg, path)
                if target is None:
                    nxt.append(f)
                    continue
                graph, view2, key = target
                excluded.add(graph)
                fj = self.sg.field_join(view2, f.name, graph)
                requires = fj.requires if fj is not None else None
                c = self.entity_group(g, out, t, view, graph, view2, key, path, reg, prov, requires)
                if c is None:
                    nxt.append(f)
                    continue
                lo = self.place_field(
                    c, c.sel(view2), t, view2, f, path, reg, None, requires_ok=True
                )
                if lo is not f:
                    progress = True
                if lo is not None:
                    nxt.append(lo)
            remaining = nxt
            if not remaining or not progress:
                break
        return remaining

    def choose_target(
        self,
        g: Group,
        t: str,
        view: str,
        f: FNode,
        prov: SelSet | None,
        excluded: set[str],
        reg: Registry,
        path: tuple[str, ...],
    ) -> tuple[str, str, str] | None:
        sg = self.sg
        cands: list[tuple[str, str, str]] = []
        for graph in sorted(sg.field_graphs(t, f.name)):
            if graph in excluded:
                continue
            fj = sg.field_join(t, f.name, graph)
            if graph == g.graph and not (fj is not None and fj.requires):
                continue
            for key in sg.keys(t, graph):
                cands.append((graph, t, key))
        ifaces = set(sg.interfaces_of(t))
        if view != t:
            ifaces.add(view)
        for iface in sorted(ifaces):
            im = sg.types.get(iface)
            if im is None or f.name not in im.fields:
                continue
            for graph in sorted(sg.field_graphs(iface, f.name)):
                if graph in excluded or graph == g.graph:
                    continue
                for key in sg.keys(iface, graph):
                    cands.append((graph, iface, key))
        if not cands:
            return None
        existing = {c.graph for c in self.groups if c.parent is g and c.path == path}

        def score(c: tuple[str, str, str]) -> tuple[int, int, int]:
            graph, _view2, key = c
            return (
                self.key_cost(g.graph, t, view, key, prov, reg, path),
                0 if graph in existing else 1,
                -self.local_score(graph, f.sub),
            )

        return min(cands, key=score)

    def covering(self, reg: Registry, dk: str, t: str, path: tuple[str, ...]) -> set[Group]:
        """Entity fetches rooted at `path` that fetch `dk` for every object of type `t`."""
        return {
            x for x in reg.placed.get((dk, t), ()) if x.entity and x.path == path and t in x.reprs
        }

    def key_cost(
        self,
        graph: str,
        t: str,
        view: str,
        key: str,
        prov: SelSet | None,
        reg: Registry,
        path: tuple[str, ...],
    ) -> int:
        ksel = self.fieldset(t, key)
        cost = 0
        for f in ksel.by_type.get(t, ()):
            if f.name == "__typename":
                continue
            dk = reg.find(t, f.name, f.args, f.sig)
            if dk is not None and self.covering(reg, dk, t, path):
                continue
            if self.resolvable(graph, t, view, f.name, prov):
                continue
            if self.sg.field_graphs(t, f.name):
                cost += 1
            else:
                cost += 100
        return cost

    def plan_internal(
        self,
        g: Group,
        out: SubSel,
        t: str,
        view: str,
        isel: SelSet,
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
        deps: set[Group],
    ) -> bool:
        for f in isel.by_type.get(t, ()):
            if f.name == "__typename":
                out.typename = True
                continue
            dk = reg.find(t, f.name, f.args, f.sig)
            if dk is not None and f.sub is None:
                if dk in out.fields:
                    continue
                placed = self.covering(reg, dk, t, path)
                if placed:
                    deps.update(placed)
                    continue
            self.touched.append(set())
            lo = self.plan_object(g, out, t, view, [f], path, reg, prov)
            deps.update(self.touched.pop())
            if lo:
                return False
        return True

    def entity_group(
        self,
        g: Group,
        out: SubSel,
        t: str,
        view: str,
        graph: str,
        view2: str,
        key: str,
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
        requires: str | None,
    ) -> Group | None:
        guard = (g.id, t, graph, key, path, requires)
        if guard in self.in_progress:
            return None
        self.in_progress.add(guard)
        try:
            return self._entity_group(g, out, t, view, graph, view2, key, path, reg, prov, requires)
        finally:
            self.in_progress.discard(guard)

    def _entity_group(
        self,
        g: Group,
        out: SubSel,
        t: str,
        view: str,
        graph: str,
        view2: str,
        key: str,
        path: tuple[str, ...],
        reg: Registry,
        prov: SelSet | None,
        requires: str | None,
    ) -> Group | None:
        out.typename = True
        deps: set[Group] = {g}
        key_sel = self.fieldset(t, key)
        if not self.plan_internal(g, out, t, view, key_sel, path, reg, prov, deps):
            return None
        sels = [key_sel]
        if requires:
            req_sel = self.fieldset(t, requires)
            if not self.plan_internal(g, out, t, view, req_sel, path, reg, prov, deps):
                return None
            sels.append(req_sel)
        rep_type = view2 if view2 != t and self.sg.is_interface_object(view2, graph) else t
        c: Group | None = None
        for cand in self.groups:
            if cand.parent is not g or cand.graph != graph or cand.path != path:
                continue
            if cand.reprs.get(t, (rep_type,))[0] != rep_type:
                continue
            if any(d is cand or d.depends_on(cand) for d in deps):
                continue
            if t in cand.reprs and _conflicts(cand.reprs[t][1], sels, t):
                continue
            c = cand
            break
        if c is None:
            c = self.new_group(graph, path, True, reg, g)
        c.deps.update(d for d in deps if d is not c)
        entry = c.reprs.get(t)
        if entry is None:
            c.reprs[t] = (rep_type, sels)
        else:
            entry[1].extend(sels)
        return c

    # -- root ------------------------------------------------------------------------------

    def plan_root(self, sel: SelSet, mutation: bool) -> None:
        q = sel.type_name
        self.root_reg.distinct = mutation
        last: Group | None = None
        for f in sel.by_type.get(q, ()):
            if f.name == "__typename":
                continue
            tried: set[str] = set()
            pending: FNode | None = f
            while pending is not None:
                cands = [x for x in sorted(self.sg.field_graphs(q, f.name)) if x not in tried]
                if not cands:
                    break
                existing = {g.graph: g for g in self.groups if not g.entity}
                cur = pending

                def score(
                    graph: str, cur: FNode = cur, existing: dict[str, Group] = existing
                ) -> int:
                    fj = self.sg.field_join(q, cur.name, graph)
                    prov = None
                    if fj is not None and fj.provides:
                        prov = self.fieldset(cur.named_type, fj.provides)
                    s = 2 * self.local_score(graph, cur.sub, prov)
                    return s + (1 if graph in existing else 0)

                graph = max(cands, key=score)
                tried.add(graph)
                if mutation:
                    if last is not None and last.graph == graph:
                        g = last
                    else:
                        self.segment += 1
                        g = last = self.new_group(graph, (), False, self.root_reg, None)
                else:
                    g = existing.get(graph) or self.new_group(graph, (), False, self.root_reg, None)
                pending = self.place_field(
                    g, g.root, q, q, pending, (), self.root_reg, None, requires_ok=True
                )
                if mutation or (pending is not None and not self.value_leftover(pending.sub)):
                    break
            if pending is not None:
                self.unplanned.append(f.key)

    def value_leftover(self, sel: SelSet | None) -> bool:
        """Whether fields left unplanned sit on value types only (no entity could be
        jumped to), so that another subgraph resolving the parent field can serve them."""
        if sel is None:
            return False
        for t, fields in sel.by_type.items():
            for f in fields:
                if f.partial:
                    if not self.value_leftover(f.sub):
                        return False
                elif any(j.key for j in self.sg.types[t].joins):
                    return False
        return True

    # -- output ----------------------------------------------------------------------------

    def fetch_node(self, g: Group, op_type: str) -> Fetch:
        names = sorted(v for v in g.variables if v in self.var_types)
        var_defs = ", ".join(f"${v}: {self.var_types[v]}" for v in names)
        if g.entity:
            defs = "$representations: [_Any!]!" + (", " + var_defs if var_defs else "")
            body = " ".join(f"... on {t} {s.render()}" for t, s in g.entity_sels.items())
            operation = (
                f"query({defs}) {{ _entities(representations: $representations) {{ {body} }} }}"
            )
            by_type: dict[str, tuple[ReprField, ...]] = {}
            typename_as: dict[str, str] = {}
            for t, (rep_type, sels) in g.reprs.items():
                by_type[t] = _repr_fields(g.reg, t, sels)
                typename_as[t] = rep_type
            requires: ReprSelection | None = ReprSelection(by_type, typename_as)
        else:
            head = op_type + (f"({var_defs})" if var_defs else "")
            operation = f"{head} {g.root.render()}"
            requires = None
        return Fetch(
            service=self.sg.graph_names.get(g.graph, g.graph),
            url=self.sg.graphs.get(g.graph, ""),
            operation=operation,
            variable_usages=tuple(names),
            requires=requires,
            mutation=op_type == "mutation" and not g.entity,
        )

    def to_node(self, op_type: str, mutation: bool) -> tuple[PlanNode | None, int]:
        if not self.groups:
            return None, 0
        level: dict[int, int] = {}

        def lvl(g: Group) -> int:
            got = level.get(g.id)
            if got is None:
                level[g.id] = 0  # cycle guard
                got = 1 + max((lvl(d) for d in g.deps), default=-1)
                level[g.id] = got
            return got

        by_segment: dict[int, dict[int, list[PlanNode]]] = {}
        for g in self.groups:
            fetch = self.fetch_node(g, op_type)
            node: PlanNode = Flatten(g.path, fetch) if g.entity else fetch
            seg = self.segments[g.id] if mutation else 0
            by_segment.setdefault(seg, {}).setdefault(lvl(g), []).append(node)
        steps: list[PlanNode] = []
        for seg in sorted(by_segment):
            levels = by_segment[seg]
            for n in sorted(levels):
                nodes = levels[n]
                steps.append(nodes[0] if len(nodes) == 1 else Parallel(nodes))
        root: PlanNode = steps[0] if len(steps) == 1 else Sequence(steps)
        return root, len(self.groups)


def _conflicts(existing: list[SelSet], new: list[SelSet], t: str) -> bool:
    """Whether two representation selections need the same field with different arguments."""
    sigs: dict[str, tuple[str, str, str]] = {}
    for s in existing:
        for f in s.by_type.get(t, ()):
            sigs[f.name] = f.sig
    for s in new:
        for f in s.by_type.get(t, ()):
            if sigs.get(f.name, f.sig) != f.sig:
                return True
    return False


def _repr_fields(reg: Registry, t: str, sels: list[SelSet]) -> tuple[ReprField, ...]:
    out: dict[str, ReprField] = {}
    for s in sels:
        for f in s.by_type.get(t, ()):
            if f.name == "__typename" or f.name in out:
                continue
            dk = reg.find(t, f.name, f.args, f.sig) or f.key
            sub = _repr_selection(reg.child(dk), f.sub) if f.sub is not None else None
            out[f.name] = ReprField(f.name, dk, sub)
    return tuple(out.values())


def _repr_selection(reg: Registry, sel: SelSet) -> ReprSelection:
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
            sub = _repr_selection(reg.child(dk), f.sub) if f.sub is not None else None
            rf.append(ReprField(f.name, dk, sub))
        by_type["*" if (not sel.abstract or t == sel.type_name) else t] = tuple(rf)
    return ReprSelection(by_type)


def build_plan(
    sg: Supergraph,
    sel: SelSet,
    op_type: str,
    var_types: dict[str, str],
    fieldsets: dict[tuple[str, str], SelSet] | None = None,
) -> tuple[PlanNode | None, int, Registry]:
    """Plan a normalized operation; returns the plan root, its fetch count and data keys.

    `fieldsets` caches normalized `join__FieldSet`s across calls for one supergraph.
    Raises `PlanningError` when some field cannot be reached from any subgraph.
    """
    b = _Builder(sg, var_types, {} if fieldsets is None else fieldsets)
    mutation = op_type == "mutation"
    b.plan_root(sel, mutation)
    if b.unplanned:
        raise PlanningError(f"Cannot plan the selection of {', '.join(b.unplanned)}.")
    node, count = b.to_node(op_type, mutation)
    return node, count, b.root_reg
