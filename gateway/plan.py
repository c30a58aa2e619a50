"""Query plan nodes: Fetch, Flatten, Sequence, Parallel.

There is no Condition node: `@skip`/`@include` are applied when the operation is normalized,
and plans are cached per value of their variables (see `QueryPlanner.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from graphql import GraphQLError, parse, print_ast

__all__ = [
    "Fetch",
    "Flatten",
    "Parallel",
    "PlanNode",
    "ReprField",
    "ReprSelection",
    "Sequence",
    "format_plan",
]


@dataclass(frozen=True, slots=True)
class ReprField:
    """One field copied from the merged data into a representation.

    `name` is the field name the subgraph expects, `data_key` where the gateway stored it
    (they differ when the gateway aliased the field, e.g. a required field with arguments).
    """

    name: str
    data_key: str
    selection: ReprSelection | None = None


@dataclass(frozen=True, slots=True)
class ReprSelection:
    """How to build representations: per `__typename` in the data, the fields to copy.

    `typename_as` renames the `__typename` sent (an `@interfaceObject` expects the interface).
    The key `"*"` in `by_type` applies to any type (value objects inside a key or requires).
    """

    by_type: dict[str, tuple[ReprField, ...]]
    typename_as: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Fetch:
    """A request to one subgraph.

    For an entity fetch, `requires` tells how to build the `representations` variable from
    the objects found at the enclosing `Flatten` path.
    """

    service: str
    url: str
    operation: str
    variable_usages: tuple[str, ...] = ()
    requires: ReprSelection | None = None
    mutation: bool = False


@dataclass(slots=True)
class Flatten:
    """Apply `node` to every object found at `path` (`@` marks a list) in the merged data."""

    path: tuple[str, ...]
    node: Fetch


@dataclass(slots=True)
class Sequence:
    nodes: list[PlanNode]


@dataclass(slots=True)
class Parallel:
    nodes: list[PlanNode]


PlanNode = Union[Fetch, Flatten, Sequence, Parallel]  # noqa: UP007


def format_plan(node: PlanNode | None) -> str:
    """A stable, readable rendering of a plan, in the style of Apollo's query plans.

    Plan snapshot tests compare it with a stored text, so a planner change shows as a diff:
    node kinds, subgraph names, `Flatten` paths, how each representation is built, and the
    operation sent (pretty-printed). Not used when executing, so it may be slow.
    """
    lines = ["QueryPlan {"]
    _format_node(node, 1, lines)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _format_node(node: PlanNode | None, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if node is None:
        lines.append(pad + "Empty")
    elif isinstance(node, Fetch):
        lines.append(f'{pad}Fetch(service: "{node.service}") {{')
        if node.requires is not None:
            _format_representations(node.requires, depth + 1, lines)
            lines.append(pad + "  =>")
        lines.extend(pad + "  " + line for line in _pretty_operation(node.operation))
        lines.append(pad + "}")
    elif isinstance(node, Flatten):
        lines.append(f'{pad}Flatten(path: "{".".join(node.path)}") {{')
        _format_node(node.node, depth + 1, lines)
        lines.append(pad + "}")
    else:
        lines.append(f"{pad}{type(node).__name__} {{")
        for child in node.nodes:
            _format_node(child, depth + 1, lines)
        lines.append(pad + "}")


def _format_representations(sel: ReprSelection, depth: int, lines: list[str]) -> None:
    """One line per data type: the `__typename` sent and the fields copied into it
    (`dataKey: name` when the gateway stored the field under another key)."""
    pad = "  " * depth
    for type_name, fields in sel.by_type.items():
        sent = sel.typename_as.get(type_name, type_name)
        head = type_name if sent == type_name else f"{type_name} as {sent}"
        lines.append(f"{pad}{head} {_format_repr_fields(fields)}")


def _format_repr_fields(fields: tuple[ReprField, ...]) -> str:
    parts: list[str] = []
    for f in fields:
        head = f.name if f.data_key == f.name else f"{f.data_key}: {f.name}"
        if f.selection is not None:
            head += " " + _format_repr_selection(f.selection)
        parts.append(head)
    return "{ " + " ".join(parts) + " }"


def _format_repr_selection(sel: ReprSelection) -> str:
    parts: list[str] = []
    for type_name, fields in sel.by_type.items():
        inner = _format_repr_fields(fields)
        parts.append(inner if type_name == "*" else f"... on {type_name} {inner}")
    return " ".join(parts)


def _pretty_operation(operation: str) -> list[str]:
    try:
        return print_ast(parse(operation, no_location=True)).splitlines()
    except GraphQLError:
        return operation.splitlines()
