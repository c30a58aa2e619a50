"""Normalized operations: fragments inlined, @skip/@include applied, fields per runtime type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
    print_ast,
)
from graphql.language import BooleanValueNode

__all__ = [
    "FNode",
    "SelSet",
    "condition_variables",
    "normalize_fieldset",
    "normalize_operation",
]


@dataclass(slots=True, eq=False)
class FNode:
    """A field of a normalized selection set."""

    key: str  # response key
    name: str
    args: str  # printed arguments, "" or "(a: 1)"
    arg_vars: tuple[str, ...]
    type_str: str  # field type in the supergraph, e.g. "[User!]!"
    named_type: str
    sub: SelSet | None = None
    partial: bool = False  # a copy restricted to the part of `sub` still to plan

    @property
    def sig(self) -> tuple[str, str, str]:
        return (self.name, self.args, self.type_str)

    def with_sub(self, sub: SelSet) -> FNode:
        return FNode(
            self.key, self.name, self.args, self.arg_vars, self.type_str, self.named_type, sub, True
        )


@dataclass(slots=True, eq=False)
class SelSet:
    """A selection set: for each possible runtime type, the fields collected for it.

    For an abstract type, `by_type` also has an entry for the abstract type itself with the
    fields selected without a narrower type condition (used when the runtime type is unknown).
    """

    type_name: str
    abstract: bool
    by_type: dict[str, list[FNode]] = field(default_factory=dict)


class _Ctx:
    __slots__ = ("fragments", "possible", "schema", "variables")

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.possible: dict[str, frozenset[str]] = {}

    def possible_types(self, name: str) -> frozenset[str]:
        cached = self.possible.get(name)
        if cached is None:
            t = self.schema.type_map.get(name)
            if isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
                cached = frozenset(o.name for o in self.schema.get_possible_types(t))
            else:
                cached = frozenset((name,))
            self.possible[name] = cached
        return cached

    def applies(self, cond: str | None, runtime: str) -> bool:
        if cond is None or cond == runtime:
            return True
        t = self.schema.type_map.get(runtime)
        if isinstance(t, GraphQLInterfaceType):
            # Fallback entry of an interface: fragments on interfaces it implements apply.
            return any(i.name == cond for i in t.interfaces)
        if isinstance(t, GraphQLUnionType):
            return False
        return runtime in self.possible_types(cond)

    def included(self, node: SelectionNode) -> bool:
        for d in node.directives or ():
            name = d.name.value
            if name not in ("skip", "include"):
                continue
            value: Any = True
            for a in d.arguments or ():
                if a.name.value == "if":
                    if isinstance(a.value, VariableNode):
                        value = bool(self.variables.get(a.value.name.value))
                    elif isinstance(a.value, BooleanValueNode):
                        value = a.value.value
            if (name == "skip" and value) or (name == "include" and not value):
                return False
        return True


def _collect(
    ctx: _Ctx,
    selections: Iterable[SelectionNode],
    runtime: str,
    out: dict[str, list[FieldNode]],
) -> None:
    for sel in selections:
        if not ctx.included(sel):
            continue
        if isinstance(sel, FieldNode):
            key = sel.alias.value if sel.alias else sel.name.value
            out.setdefault(key, []).append(sel)
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else None
            if ctx.applies(cond, runtime):
                _collect(ctx, sel.selection_set.selections, runtime, out)
        elif isinstance(sel, FragmentSpreadNode):
            frag = ctx.fragments.get(sel.name.value)
            if frag is not None and ctx.applies(frag.type_condition.name.value, runtime):
                _collect(ctx, frag.selection_set.selections, runtime, out)


def _arg_vars(node: FieldNode) -> tuple[str, ...]:
    names: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, VariableNode):
            names.append(v.name.value)
        elif hasattr(v, "values") and isinstance(v.values, tuple | list):
            for x in v.values:
                walk(x)
        elif hasattr(v, "fields") and isinstance(v.fields, tuple | list):
            for x in v.fields:
                walk(x.value)

    for a in node.arguments or ():
        walk(a.value)
    return tuple(names)


def _normalize(ctx: _Ctx, type_name: str, selections: list[SelectionNode]) -> SelSet:
    t = ctx.schema.type_map[type_name]
    abstract = isinstance(t, GraphQLInterfaceType | GraphQLUnionType)
    runtimes = [*sorted(ctx.possible_types(type_name)), type_name] if abstract else [type_name]
    sel = SelSet(type_name=type_name, abstract=abstract)
    for runtime in runtimes:
        rt = ctx.schema.type_map.get(runtime)
        collected: dict[str, list[FieldNode]] = {}
        _collect(ctx, selections, runtime, collected)
        fields: list[FNode] = []
        for key, nodes in collected.items():
            first = nodes[0]
            name = first.name.value
            if name == "__typename":
                fields.append(FNode(key, name, "", (), "String!", "String"))
                continue
            if not isinstance(rt, GraphQLObjectType | GraphQLInterfaceType):
                continue
            fdef = rt.fields.get(name)
            if fdef is None:
                continue
            named = get_named_type(fdef.type).name
            args = ""
            if first.arguments:
                args = "(" + ", ".join(print_ast(a) for a in first.arguments) + ")"
            fnode = FNode(key, name, args, _arg_vars(first), str(fdef.type), named)
            subs: list[SelectionNode] = []
            for n in nodes:
                if n.selection_set is not None:
                    subs.extend(n.selection_set.selections)
            if subs:
                fnode.sub = _normalize(ctx, named, subs)
            fields.append(fnode)
        sel.by_type[runtime] = fields
    return sel


def normalize_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    root_type: str,
) -> SelSet:
    """Normalize an operation's selection set against the (supergraph) schema."""
    ctx = _Ctx(schema, fragments, variables)
    return _normalize(ctx, root_type, list(operation.selection_set.selections))


@lru_cache(maxsize=4096)
def _parse_fieldset(fieldset: str) -> SelectionSetNode:
    doc = parse("{" + fieldset + "}", no_location=True)
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return op.selection_set


def normalize_fieldset(schema: GraphQLSchema, type_name: str, fieldset: str) -> SelSet:
    """Normalize a `join__FieldSet` (key, requires, provides) on a type."""
    ctx = _Ctx(schema, {}, {})
    return _normalize(ctx, type_name, list(_parse_fieldset(fieldset).selections))


def condition_variables(operation: OperationDefinitionNode, fragments: Iterable[Any]) -> list[str]:
    """Names of the variables used by @skip/@include, in a stable order."""
    names: list[str] = []

    def walk(ss: SelectionSetNode | None) -> None:
        if ss is None:
            return
        for sel in ss.selections:
            for d in sel.directives or ():
                if d.name.value in ("skip", "include"):
                    for a in d.arguments or ():
                        if isinstance(a.value, VariableNode) and a.value.name.value not in names:
                            names.append(a.value.name.value)
            walk(getattr(sel, "selection_set", None))

    walk(operation.selection_set)
    for f in fragments:
        walk(f.selection_set)
    return names
