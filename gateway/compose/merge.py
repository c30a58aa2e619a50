"""Merge normalised subgraphs into a :class:`Supergraph` (the reference's merging rules).

Object and interface fields are a union, input object fields an intersection, enums a
union or intersection depending on input/output usage, field arguments an intersection.
Output types merge covariantly, input types contravariantly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql.language import TypeNode, print_ast

from .errors import IssueCollector
from .merged import Graph, JoinField, JoinType, MEnumValue, MField, MInputValue, MType, Supergraph
from .meta import merge_meta
from .model import ExecutableDirective, Field, InputValue, Kind, SubgraphSchema, TypeDef
from .typeref import base_name, is_non_null, is_subtype, type_str


def graph_enum_names(names: Sequence[str]) -> list[str]:
    """Graph enum values: upper-cased names, non-alphanumerics replaced by ``_``."""
    result: list[str] = []
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
        if base[:1].isdigit():
            base = f"_{base}"
        candidate, counter = base, 1
        while candidate in result:
            candidate = f"{base}_{counter}"
            counter += 1
        result.append(candidate)
    return result


@dataclass
class _Override:
    removed: set[int] = field(default_factory=set)
    used_overridden: set[int] = field(default_factory=set)
    overrides: dict[int, str] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    shadowed: set[int] = field(default_factory=set)


class Merger:
    def __init__(self, subgraphs: Sequence[SubgraphSchema], issues: IssueCollector) -> None:
        self.subgraphs = list(subgraphs)
        self.issues = issues
        self.graph_names = graph_enum_names([s.name for s in subgraphs])
        self.index = {s.name: i for i, s in enumerate(subgraphs)}
        self.types: dict[str, MType] = {}
        self.sources: dict[str, list[tuple[int, TypeDef]]] = {}

    # -- entry point -------------------------------------------------------------------
    def merge(self) -> Supergraph:
        self._collect_types()
        for name, mtype in self.types.items():
            sources = self.sources[name]
            mtype.meta = merge_meta([t.meta for _, t in sources])
            self._join_types(mtype, sources)
            if mtype.kind in (Kind.OBJECT, Kind.INTERFACE):
                for idx, typedef in sources:
                    if typedef.interface_object:
                        continue
                    for itf in typedef.interfaces:
                        if itf not in mtype.interfaces:
                            mtype.interfaces.append(itf)
                        mtype.implements.append((self.graph_names[idx], itf))
            elif mtype.kind is Kind.UNION:
                for idx, typedef in sources:
                    for member in typedef.members:
                        if member not in mtype.members:
                            mtype.members.append(member)
                        mtype.union_members.append((self.graph_names[idx], member))
        for name, mtype in self.types.items():
            if mtype.kind in (Kind.OBJECT, Kind.INTERFACE):
                self._merge_fields(mtype, self.sources[name])
            elif mtype.kind is Kind.INPUT:
                self._merge_input(mtype, self.sources[name])
        self._merge_enums()
        self._add_interface_object_fields()
        self._check_interface_implementations()
        if not self.types.get("Query") or not self.types["Query"].fields:
            self.issues.add(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
            )
        roots = {
            op: name
            for op, name in (
                ("query", "Query"),
                ("mutation", "Mutation"),
                ("subscription", "Subscription"),
            )
            if name in self.types
        }
        return Supergraph(
            graphs=[
                Graph(enum, s.name, s.url)
                for enum, s in zip(self.graph_names, self.subgraphs, strict=True)
            ],
            types=self.types,
            directives=self._merge_directives(),
            join_version=self._join_version(),
            roots=roots,
        )

    def _join_version(self) -> str:
        version = max((s.version for s in self.subgraphs if not s.fed1), default=(2, 0))
        if version >= (2, 8):
            return "0.5"
        if version >= (2, 7) or any(
            f.override_label
            for s in self.subgraphs
            for t in s.types.values()
            for f in t.fields.values()
        ):
            return "0.4"
        return "0.3"

    # -- types -------------------------------------------------------------------------
    def _collect_types(self) -> None:
        for idx, subgraph in enumerate(self.subgraphs):
            for name, typedef in subgraph.types.items():
                self.sources.setdefault(name, []).append((idx, typedef))
        for name in sorted(self.sources, key=lambda n: (n.lower(), n)):
            sources = self.sources[name]
            kinds = {Kind.INTERFACE if t.interface_object else t.kind for _, t in sources}
            if len(kinds) > 1:
                described = " but ".join(
                    f"{t.kind.value if not t.interface_object else 'Interface Object Type'} in "
                    f'subgraph "{self.subgraphs[i].name}"'
                    for i, t in sources
                )
                self.issues.add(
                    "TYPE_KIND_MISMATCH",
                    f'Type "{name}" has mismatched kind: it is defined as {described}',
                    coordinate=name,
                )
                continue
            self.types[name] = MType(name, kinds.pop(), sources[0][1].meta)

    def _join_types(self, mtype: MType, sources: list[tuple[int, TypeDef]]) -> None:
        for idx, typedef in sources:
            graph = self.graph_names[idx]
            if not typedef.keys:
                mtype.join_types.append(JoinType(graph, interface_object=typedef.interface_object))
            for key in typedef.keys:
                mtype.join_types.append(
                    JoinType(
                        graph,
                        key=key.fields,
                        extension=key.extension or typedef.extends,
                        resolvable=key.resolvable,
                        interface_object=typedef.interface_object,
                    )
                )

    # -- subtyping ---------------------------------------------------------------------
    def _is_named_subtype(self, sub: str, sup: str) -> bool:
        target = self.types.get(sup)
        candidate = self.types.get(sub)
        if target is None or candidate is None:
            return False
        if target.kind is Kind.UNION:
            return sub in target.members
        if target.kind is Kind.INTERFACE:
            return sup in candidate.interfaces
        return False

    def _merge_output_type(self, coordinate: str, typed: list[tuple[int, TypeNode]]) -> TypeNode:
        merged = typed[0][1]
        for _, candidate in typed[1:]:
            if is_subtype(merged, candidate, self._is_named_subtype):
                merged = candidate
            elif not is_subtype(candidate, merged, self._is_named_subtype):
                self._type_mismatch("FIELD_TYPE_MISMATCH", f'field "{coordinate}"', typed)
                break
        return merged

    def _merge_input_type(
        self, code: str, what: str, typed: list[tuple[int, TypeNode]]
    ) -> TypeNode:
        merged = typed[0][1]
        no_named = lambda _sub, _sup: False  # noqa: E731
        for _, candidate in typed[1:]:
            if is_subtype(candidate, merged, no_named):
                merged = candidate
            elif not is_subtype(merged, candidate, no_named):
                self._type_mismatch(code, what, typed)
                break
        return merged

    def _type_mismatch(self, code: str, what: str, typed: list[tuple[int, TypeNode]]) -> None:
        described = " but ".join(
            f'type "{type_str(t)}" in subgraph "{self.subgraphs[i].name}"' for i, t in typed
        )
        self.issues.add(
            code,
            f"Type of {what} is incompatible across subgraphs: it has {described}",
            coordinate=what,
        )

    # -- object and interface fields ---------------------------------------------------
    def _resolve_overrides(self, coordinate: str, fields: dict[int, Field]) -> _Override:
        result = _Override()
        type_name, field_name = coordinate.split(".")
        for idx, fld in fields.items():
            if fld.override is None:
                continue
            source = self.subgraphs[idx].name
            if fld.override == source:
                self.issues.add(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{source}" are the same for overridden '
                    f'field "{coordinate}"',
                    subgraph=source,
                    coordinate=coordinate,
                )
                continue
            from_idx = self.index.get(fld.override)
            if from_idx is None:
                continue
            result.overrides[idx] = fld.override
            if fld.override_label:
                result.labels[idx] = fld.override_label
            from_field = fields.get(from_idx)
            if from_field is None or from_field.external:
                continue
            if from_field.override is not None:
                self.issues.add(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{coordinate}" on subgraph "{source}" is also marked with directive '
                    f'@override in subgraph "{fld.override}". Only one @override directive is '
                    "allowed per field.",
                    subgraph=source,
                    coordinate=coordinate,
                )
                continue
            if fld.override_label:
                result.labels[from_idx] = fld.override_label
                result.shadowed.add(from_idx)
                continue
            if (type_name, field_name) in self.subgraphs[
                from_idx
            ].used or self._satisfies_interface(from_idx, type_name, field_name):
                result.used_overridden.add(from_idx)
            else:
                result.removed.add(from_idx)
        return result

    def _satisfies_interface(self, idx: int, type_name: str, field_name: str) -> bool:
        subgraph = self.subgraphs[idx]
        typedef = subgraph.types[type_name]
        return any(
            field_name in subgraph.types[itf].fields
            for itf in typedef.interfaces
            if itf in subgraph.types
        )

    def _merge_fields(self, mtype: MType, sources: list[tuple[int, TypeDef]]) -> None:
        names: list[str] = []
        for _, typedef in sources:
            names.extend(n for n in typedef.fields if n not in names)
        for name in names:
            fields = {idx: t.fields[name] for idx, t in sources if name in t.fields}
            mtype.fields[name] = self._merge_field(mtype, sources, fields)

    def _merge_field(
        self, mtype: MType, sources: list[tuple[int, TypeDef]], fields: dict[int, Field]
    ) -> MField:
        coordinate = f"{mtype.name}.{next(iter(fields.values())).name}"
        override = self._resolve_overrides(coordinate, fields)
        internal = [(i, f.type) for i, f in fields.items() if not f.external] or [
            (i, f.type) for i, f in fields.items()
        ]
        merged_type = self._merge_output_type(coordinate, internal)
        if mtype.kind is Kind.OBJECT:
            self._check_sharing(coordinate, fields, override)
        all_equal = len({type_str(f.type) for f in fields.values()}) == 1
        merged = MField(
            name=coordinate.split(".")[1],
            type=merged_type,
            args=self._merge_args(coordinate, fields),
            meta=merge_meta([f.meta for f in fields.values()]),
        )
        if self._needs_join_field(sources, fields, override, all_equal):
            for idx, fld in fields.items():
                if idx in override.removed:
                    continue
                merged.join_fields.append(
                    JoinField(
                        graph=self.graph_names[idx],
                        requires=fld.requires,
                        provides=fld.provides,
                        type=None if all_equal else type_str(fld.type),
                        external=fld.external,
                        override=override.overrides.get(idx),
                        override_label=override.labels.get(idx),
                        used_overridden=idx in override.used_overridden,
                    )
                )
        return merged

    def _needs_join_field(
        self,
        sources: list[tuple[int, TypeDef]],
        fields: dict[int, Field],
        override: _Override,
        all_equal: bool,
    ) -> bool:
        if not all_equal or override.used_overridden or override.labels:
            return True
        for idx, _ in sources:
            fld = fields.get(idx)
            if fld is None or idx in override.removed:
                return True
            if fld.external or fld.requires is not None or fld.provides is not None:
                return True
        return False

    def _check_sharing(
        self, coordinate: str, fields: dict[int, Field], override: _Override
    ) -> None:
        resolving = [
            idx
            for idx, fld in fields.items()
            if not fld.external
            and idx not in override.removed
            and idx not in override.used_overridden
            and idx not in override.shadowed
        ]
        if len(resolving) < 2:
            return
        non_shareable = [idx for idx in resolving if not fields[idx].shareable]
        if not non_shareable:
            return
        names = [f'"{self.subgraphs[i].name}"' for i in resolving]
        offenders = [f'"{self.subgraphs[i].name}"' for i in non_shareable]
        self.issues.add(
            "INVALID_FIELD_SHARING",
            f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is '
            f"resolved from subgraphs {_join(names)} and defined as non-shareable in "
            f"{'subgraph' if len(offenders) == 1 else 'subgraphs'} {_join(offenders)}",
            coordinate=coordinate,
        )

    def _merge_args(self, coordinate: str, fields: dict[int, Field]) -> dict[str, MInputValue]:
        names: list[str] = []
        for fld in fields.values():
            names.extend(n for n in fld.args if n not in names)
        result: dict[str, MInputValue] = {}
        for name in names:
            args = {idx: f.args.get(name) for idx, f in fields.items()}
            present = {idx: a for idx, a in args.items() if a is not None}
            arg_coordinate = f"{coordinate}({name}:)"
            merged = self._merge_input_value(
                "FIELD_ARGUMENT_TYPE_MISMATCH",
                "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                f'argument "{arg_coordinate}"',
                present,
            )
            if len(present) < len(args) and not merged.meta.inaccessible:
                required = [idx for idx, a in present.items() if _is_required(a)]
                if required:
                    missing = [self.subgraphs[i].name for i, a in args.items() if a is None]
                    self.issues.add(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{arg_coordinate}" is required in some subgraphs but does '
                        f"not appear in all subgraphs: it is required in "
                        f"{_subgraphs([self.subgraphs[i].name for i in required])} but does "
                        f"not appear in {_subgraphs(missing)}",
                        coordinate=arg_coordinate,
                    )
                continue
            result[name] = merged
        return result

    def _merge_input_value(
        self, type_code: str, default_code: str, what: str, present: dict[int, InputValue]
    ) -> MInputValue:
        values = list(present.values())
        merged_type = self._merge_input_type(
            type_code, what, list((i, v.type) for i, v in present.items())
        )
        defaults = [(i, v.default) for i, v in present.items() if v.default is not None]
        printed = {print_ast(d) for _, d in defaults if d is not None}
        if len(printed) > 1:
            described = " but ".join(
                f'default value {print_ast(d)} in subgraph "{self.subgraphs[i].name}"'
                for i, d in defaults
                if d is not None
            )
            self.issues.add(
                default_code,
                f"Input value {what} has incompatible default values across subgraphs: it has "
                f"{described}",
                coordinate=what,
            )
        return MInputValue(
            name=values[0].name,
            type=merged_type,
            default=defaults[0][1] if defaults else None,
            meta=merge_meta([v.meta for v in values]),
        )

    # -- input objects -----------------------------------------------------------------
    def _merge_input(self, mtype: MType, sources: list[tuple[int, TypeDef]]) -> None:
        names: list[str] = []
        for _, typedef in sources:
            names.extend(n for n in typedef.input_fields if n not in names)
        for name in names:
            coordinate = f"{mtype.name}.{name}"
            values = {idx: t.input_fields.get(name) for idx, t in sources}
            present = {idx: v for idx, v in values.items() if v is not None}
            merged = self._merge_input_value(
                "FIELD_TYPE_MISMATCH",
                "INPUT_FIELD_DEFAULT_MISMATCH",
                f'field "{coordinate}"',
                present,
            )
            missing = [self.subgraphs[i].name for i, v in values.items() if v is None]
            if missing and not merged.meta.inaccessible:
                required = [self.subgraphs[i].name for i, v in present.items() if _is_required(v)]
                if required:
                    self.issues.add(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{coordinate}" is required in some subgraphs but '
                        f"does not appear in all subgraphs: it is required in "
                        f"{_subgraphs(required)} but does not appear in {_subgraphs(missing)}",
                        coordinate=coordinate,
                    )
                continue
            all_equal = len({type_str(v.type) for v in present.values()}) == 1
            if missing or not all_equal:
                merged.join_fields = [
                    JoinField(
                        graph=self.graph_names[idx],
                        type=None if all_equal else type_str(v.type),
                    )
                    for idx, v in present.items()
                ]
            mtype.input_fields[name] = merged
        if not mtype.input_fields:
            self.issues.add(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{mtype.name}" are consistently '
                "defined in all the subgraphs defining that type. As only fields common to all "
                "subgraphs are merged, this would result in an empty type.",
                coordinate=mtype.name,
            )

    # -- enums -------------------------------------------------------------------------
    def _enum_usages(self) -> dict[str, dict[str, str]]:
        usages: dict[str, dict[str, str]] = {}

        def record(type_node: TypeNode, position: str, coordinate: str) -> None:
            name = base_name(type_node)
            target = self.types.get(name)
            if target is not None and target.kind is Kind.ENUM:
                usages.setdefault(name, {}).setdefault(position, coordinate)

        for mtype in self.types.values():
            for fld in mtype.fields.values():
                record(fld.type, "output", f"{mtype.name}.{fld.name}")
                for arg in fld.args.values():
                    record(arg.type, "input", f"{mtype.name}.{fld.name}({arg.name}:)")
            for input_field in mtype.input_fields.values():
                record(input_field.type, "input", f"{mtype.name}.{input_field.name}")
        return usages

    def _merge_enums(self) -> None:
        usages = self._enum_usages()
        for name, mtype in self.types.items():
            if mtype.kind is not Kind.ENUM:
                continue
            sources = self.sources[name]
            usage = usages.get(name, {})
            names: list[str] = []
            for _, typedef in sources:
                names.extend(v for v in typedef.values if v not in names)
            for value in names:
                present = [(idx, t.values[value]) for idx, t in sources if value in t.values]
                merged = MEnumValue(
                    value,
                    merge_meta([v.meta for _, v in present]),
                    [self.graph_names[idx] for idx, _ in present],
                )
                missing = [self.subgraphs[idx].name for idx, t in sources if value not in t.values]
                if missing and "input" in usage and not merged.meta.inaccessible:
                    if "output" in usage:
                        defined = [self.subgraphs[idx].name for idx, _ in present]
                        self.issues.add(
                            "ENUM_VALUE_MISMATCH",
                            f'Enum type "{name}" is used as both input type (for example, as '
                            f'type of "{usage["input"]}") and output type (for example, as type '
                            f'of "{usage["output"]}"), but value "{value}" is not defined in all '
                            f'the subgraphs defining "{name}": "{value}" is defined in '
                            f"{_subgraphs(defined)} but not in {_subgraphs(missing)}",
                            coordinate=f"{name}.{value}",
                        )
                    continue
                mtype.values[value] = merged
            if not mtype.values:
                self.issues.add(
                    "EMPTY_MERGED_ENUM_TYPE",
                    f'None of the values of enum type "{name}" are defined consistently in all '
                    "the subgraphs defining that type. As only values common to all subgraphs "
                    "are merged, this would result in an empty type.",
                    coordinate=name,
                )

    # -- interface objects -------------------------------------------------------------
    def _add_interface_object_fields(self) -> None:
        for mtype in self.types.values():
            if mtype.kind is not Kind.OBJECT:
                continue
            for itf_name in mtype.interfaces:
                itf = self.types.get(itf_name)
                if itf is None:
                    continue
                for fname, ifield in itf.fields.items():
                    if fname in mtype.fields or not self._provided_by_interface_object(
                        itf_name, fname
                    ):
                        continue
                    mtype.fields[fname] = MField(
                        name=fname,
                        type=ifield.type,
                        args=dict(ifield.args),
                        meta=merge_meta([]),
                        join_fields=[JoinField(graph=None)],
                    )

    def _check_interface_implementations(self) -> None:
        for mtype in self.types.values():
            for itf_name in mtype.interfaces:
                itf = self.types.get(itf_name)
                if itf is None:
                    continue
                for fname in itf.fields:
                    if fname in mtype.fields:
                        continue
                    declared = next(
                        self.subgraphs[i].name
                        for i, t in self.sources[itf_name]
                        if fname in t.fields
                    )
                    implementing = [
                        self.subgraphs[i].name
                        for i, t in self.sources[mtype.name]
                        if itf_name in t.interfaces
                    ]
                    self.issues.add(
                        "INTERFACE_FIELD_NO_IMPLEM",
                        f'Interface field "{itf_name}.{fname}" is declared in subgraph '
                        f'"{declared}" but type "{mtype.name}", which implements "{itf_name}" '
                        f"only in {_subgraphs(implementing)} does not have field "
                        f'"{fname}".',
                        coordinate=f"{mtype.name}.{fname}",
                    )

    def _provided_by_interface_object(self, itf_name: str, field_name: str) -> bool:
        for _, typedef in self.sources.get(itf_name, []):
            if typedef.interface_object:
                fld = typedef.fields.get(field_name)
                if fld is not None and not fld.external:
                    return True
        return False

    # -- executable directives ---------------------------------------------------------
    def _merge_directives(self) -> list[ExecutableDirective]:
        result: list[ExecutableDirective] = []
        first = self.subgraphs[0].directives if self.subgraphs else {}
        for name, directive in first.items():
            defs = [s.directives.get(name) for s in self.subgraphs]
            if any(d is None for d in defs):
                continue
            present = [d for d in defs if d is not None]
            locations = [
                loc for loc in directive.locations if all(loc in d.locations for d in present)
            ]
            if not locations:
                continue
            args = {
                arg_name: arg
                for arg_name, arg in directive.args.items()
                if all(arg_name in d.args for d in present)
            }
            result.append(
                ExecutableDirective(
                    name=name,
                    args=args,
                    locations=locations,
                    repeatable=all(d.repeatable for d in present),
                    description=directive.description,
                )
            )
        return result


def _is_required(value: InputValue) -> bool:
    return is_non_null(value.type) and value.default is None


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _subgraphs(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return f"{'subgraph' if len(names) == 1 else 'subgraphs'} {_join(quoted)}"


def merge_subgraphs(subgraphs: Sequence[SubgraphSchema], issues: IssueCollector) -> Supergraph:
    """Merge validated subgraphs; merge errors are added to ``issues``."""
    return Merger(subgraphs, issues).merge()
