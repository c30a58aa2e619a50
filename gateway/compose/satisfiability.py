"""A conservative satisfiability check of the merged supergraph.

For every path of the supergraph API it tracks the set of subgraphs a query planner
could be in, and reports a field that none of them can resolve, either directly or after
moving to another subgraph through a ``@key`` whose fields can be collected (possibly
through further moves). ``@requires`` conditions and interface objects are assumed
satisfiable: the check only reports fields that are certainly unreachable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from graphql import GraphQLError
from graphql.language import FieldNode, InlineFragmentNode, SelectionSetNode

from .errors import IssueCollector
from .fieldset import parse_field_set, resolve_field_set
from .merged import Supergraph
from .model import Kind, SubgraphSchema
from .typeref import base_name

_Guard = frozenset[tuple[str, int, int]]


class _Checker:
    def __init__(self, subgraphs: Sequence[SubgraphSchema], supergraph: Supergraph) -> None:
        self.subgraphs = subgraphs
        self.types = supergraph.types
        self.graphs = [g.enum_name for g in supergraph.graphs]
        self.provided = [self._provided(s) for s in subgraphs]
        self.reach_cache: dict[tuple[str, int], set[int]] = {}

    @staticmethod
    def _provided(schema: SubgraphSchema) -> set[tuple[str, str]]:
        result: set[tuple[str, str]] = set()
        for typedef in schema.types.values():
            for fld in typedef.fields.values():
                if fld.provides is not None:
                    target = base_name(fld.type)
                    result.update(resolve_field_set(schema, target, fld.provides).coordinates)
        return result

    def local(self, type_name: str, field_name: str, idx: int) -> bool:
        typedef = self.subgraphs[idx].types.get(type_name)
        fld = typedef.fields.get(field_name) if typedef else None
        if fld is None or self._overridden(type_name, field_name, idx):
            return False
        return not fld.external or (type_name, field_name) in self.provided[idx]

    def _overridden(self, type_name: str, field_name: str, idx: int) -> bool:
        mtype = self.types.get(type_name)
        mfield = mtype.fields.get(field_name) if mtype else None
        if mfield is None or not mfield.join_fields:
            return False
        graph = self.graphs[idx]
        joins = [j for j in mfield.join_fields if j.graph == graph]
        return not joins or any(j.used_overridden for j in joins)

    def reachable(self, type_name: str, idx: int, guard: _Guard = frozenset()) -> set[int]:
        cached = self.reach_cache.get((type_name, idx)) if not guard else None
        if cached is not None:
            return cached
        seen = {idx}
        queue = deque([idx])
        while queue:
            current = queue.popleft()
            for other, schema in enumerate(self.subgraphs):
                target = schema.types.get(type_name)
                if other in seen or target is None or target.interface_object:
                    continue
                step = (type_name, current, other)
                if step in guard:
                    continue
                for key in target.keys:
                    if key.resolvable is False:
                        continue
                    try:
                        selection = parse_field_set(key.fields)
                    except GraphQLError:
                        continue
                    if self.collectable(type_name, {current}, selection, guard | {step}):
                        seen.add(other)
                        queue.append(other)
                        break
        if not guard:
            self.reach_cache[(type_name, idx)] = seen
        return seen

    def collectable(
        self, type_name: str, sources: set[int], selection: SelectionSetNode, guard: _Guard
    ) -> bool:
        """Whether ``selection`` on ``type_name`` can be fetched starting from ``sources``."""
        # Moving to other subgraphs only adds options: try without moving first, which
        # avoids exploring every chain of moves when the selection is local (e.g. a key).
        if self._collectable_from(type_name, set(sources), selection, guard):
            return True
        options: set[int] = set()
        for idx in sources:
            options |= self.reachable(type_name, idx, guard)
        if options == sources:
            return False
        return self._collectable_from(type_name, options, selection, guard)

    def _collectable_from(
        self, type_name: str, options: set[int], selection: SelectionSetNode, guard: _Guard
    ) -> bool:
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else type_name
                if not self.collectable(condition, options, node.selection_set, guard):
                    return False
                continue
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            name = node.name.value
            candidates = {o for o in options if self.local(type_name, name, o)}
            if not candidates:
                return False
            if node.selection_set:
                by_type: dict[str, set[int]] = {}
                for o in candidates:
                    fld = self.subgraphs[o].types[type_name].fields[name]
                    by_type.setdefault(base_name(fld.type), set()).add(o)
                if not any(
                    self.collectable(t, s, node.selection_set, guard) for t, s in by_type.items()
                ):
                    return False
        return True

    def run(self, issues: IssueCollector) -> None:
        visited: set[tuple[str, frozenset[int]]] = set()
        queue: deque[tuple[str, frozenset[int], list[str]]] = deque()
        for root in ("Query", "Mutation", "Subscription"):
            if root in self.types:
                everywhere = frozenset(i for i, s in enumerate(self.subgraphs) if root in s.types)
                queue.append((root, everywhere, []))
        reported: set[tuple[str, str]] = set()
        while queue:
            type_name, sources, path = queue.popleft()
            if (type_name, sources) in visited:
                continue
            visited.add((type_name, sources))
            for next_type, next_sources, next_path in self._step(
                type_name, sources, path, issues, reported
            ):
                if (next_type, next_sources) not in visited:
                    queue.append((next_type, next_sources, next_path))

    def _step(
        self,
        type_name: str,
        sources: frozenset[int],
        path: list[str],
        issues: IssueCollector,
        reported: set[tuple[str, str]],
    ) -> list[tuple[str, frozenset[int], list[str]]]:
        mtype = self.types.get(type_name)
        if mtype is None:
            return []
        result: list[tuple[str, frozenset[int], list[str]]] = []
        if mtype.kind in (Kind.INTERFACE, Kind.UNION):
            for possible in self._possible(type_name):
                narrowed = frozenset(
                    i for i in sources if self._is_runtime_type(i, type_name, possible)
                )
                if narrowed:
                    result.append((possible, narrowed, [*path, f"... on {possible}"]))
            return result
        if mtype.kind is not Kind.OBJECT:
            return []
        if any(
            (t := self.subgraphs[i].types.get(type_name)) is not None and t.interface_object
            for i in sources
        ):
            return []
        options: set[int] = set()
        for idx in sources:
            options |= self.reachable(type_name, idx)
        for fname, mfield in mtype.fields.items():
            if mfield.meta.inaccessible or any(j.graph is None for j in mfield.join_fields):
                continue
            candidates = [o for o in sorted(options) if self.local(type_name, fname, o)]
            if not candidates:
                if (type_name, fname) not in reported:
                    reported.add((type_name, fname))
                    self._report(issues, type_name, fname, sorted(sources), [*path, fname])
                continue
            by_type: dict[str, set[int]] = {}
            for o in candidates:
                fld = self.subgraphs[o].types[type_name].fields[fname]
                by_type.setdefault(base_name(fld.type), set()).add(o)
            for next_type, next_sources in by_type.items():
                result.append((next_type, frozenset(next_sources), [*path, fname]))
        return result

    def _possible(self, type_name: str) -> list[str]:
        mtype = self.types[type_name]
        if mtype.kind is Kind.UNION:
            return list(mtype.members)
        return [t.name for t in self.types.values() if type_name in t.interfaces]

    def _is_runtime_type(self, idx: int, abstract: str, possible: str) -> bool:
        schema = self.subgraphs[idx]
        abstract_def = schema.types.get(abstract)
        possible_def = schema.types.get(possible)
        if abstract_def is None or possible_def is None:
            return False
        if abstract_def.kind is Kind.UNION:
            return possible in abstract_def.members
        return abstract in possible_def.interfaces

    def _report(
        self,
        issues: IssueCollector,
        type_name: str,
        fname: str,
        sources: list[int],
        path: list[str],
    ) -> None:
        lines = ["{"]
        for depth, step in enumerate(path):
            indent = "  " * (depth + 1)
            lines.append(indent + step + (" {" if depth < len(path) - 1 else ""))
        for depth in range(len(path) - 1, 0, -1):
            lines.append("  " * depth + "}")
        lines.append("}")
        reasons = []
        for idx in sources:
            subgraph = self.subgraphs[idx].name
            typedef = self.subgraphs[idx].types.get(type_name)
            reason = (
                f'field "{type_name}.{fname}" is not resolvable because marked @external'
                if typedef is not None and fname in typedef.fields
                else f'cannot find field "{type_name}.{fname}"'
            )
            reasons.append(
                f'- from subgraph "{subgraph}": {reason}, and no @key of "{type_name}" '
                "whose fields it can resolve leads to a subgraph that resolves it."
            )
        issues.add(
            "SATISFIABILITY_ERROR",
            "The following supergraph API query:\n"
            + "\n".join(lines)
            + "\ncannot be satisfied by the subgraphs because:\n"
            + "\n".join(reasons),
            subgraph=self.subgraphs[sources[0]].name if sources else None,
            coordinate=f"{type_name}.{fname}",
        )


def check_satisfiability(
    subgraphs: Sequence[SubgraphSchema], supergraph: Supergraph, issues: IssueCollector
) -> None:
    """Report ``SATISFIABILITY_ERROR`` for fields no query plan could reach."""
    _Checker(subgraphs, supergraph).run(issues)
