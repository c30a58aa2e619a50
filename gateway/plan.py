"""Query plan nodes: Fetch, Flatten, Sequence, Parallel, Condition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "Condition",
    "Fetch",
    "Flatten",
    "Parallel",
    "PlanNode",
    "ReprField",
    "ReprSelection",
    "Sequence",
    "describe",
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
    input_rewrites: tuple[tuple[str, str], ...] = ()  # (from typename, to typename)
    mutation: bool = False
    id: int = 0


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


@dataclass(slots=True)
class Condition:
    """Run `if_clause` when the boolean variable is true, else `else_clause`."""

    variable: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None = None


PlanNode = Union[Fetch, Flatten, Sequence, Parallel, Condition]  # noqa: UP007


def describe(node: PlanNode | None, indent: int = 0) -> str:
    """Human-readable rendering of a plan, in the style of Apollo's query plans."""
    pad = "  " * indent
    if node is None:
        return pad + "Empty"
    if isinstance(node, Fetch):
        body = "\n".join(pad + "  " + line for line in node.operation.splitlines())
        return f'{pad}Fetch(service: "{node.service}") {{\n{body}\n{pad}}}'
    if isinstance(node, Flatten):
        inner = describe(node.node, indent + 1)
        return f'{pad}Flatten(path: "{".".join(node.path)}") {{\n{inner}\n{pad}}}'
    if isinstance(node, Sequence | Parallel):
        name = type(node).__name__
        inner = ",\n".join(describe(n, indent + 1) for n in node.nodes)
        return f"{pad}{name} {{\n{inner}\n{pad}}}"
    parts = [f"{pad}Condition(if: ${node.variable}) {{", describe(node.if_clause, indent + 1)]
    if node.else_clause is not None:
        parts += [f"{pad}}} else {{", describe(node.else_clause, indent + 1)]
    return "\n".join([*parts, pad + "}"])
