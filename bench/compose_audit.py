"""Compare ``gateway.compose`` against the federation audit's reference supergraphs.

Not run by CI. Start the audit server first (see docs of the federation-audit tool), then:

    uv run python bench/compose_audit.py http://localhost:4300 [suite ...]

For every suite it fetches ``/<suite>/subgraphs`` (a JSON list of ``{name, url, sdl}``)
and ``/<suite>/supergraph`` (composed by ``@apollo/composition``), composes the
subgraphs with :func:`gateway.compose.compose` and compares both supergraphs
semantically: definitions, fields, arguments, enum values, union members, interfaces
and applied directives are sorted before comparing, so only order differences are
ignored. Prints ``OK``/``DIFF``/``ERROR`` per suite and a final
``compose: N/M suites match`` line.
"""

from __future__ import annotations

import difflib
import json
import sys
import urllib.request
from typing import Any

from graphql import parse, print_ast
from graphql.language import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    UnionTypeDefinitionNode,
)

from gateway.compose import CompositionError, Subgraph, compose


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
    return body.decode()


def _directives(nodes: Any) -> list[str]:
    return sorted(print_ast(d) for d in nodes or () if isinstance(d, DirectiveNode))


def _description(node: Any) -> str:
    description = getattr(node, "description", None)
    return f'"{description.value}" ' if description else ""


def _input_values(values: Any) -> list[str]:
    out = []
    for value in values or ():
        default = f" = {print_ast(value.default_value)}" if value.default_value else ""
        directives = " ".join(_directives(value.directives))
        out.append(
            f"{_description(value)}{value.name.value}: {print_ast(value.type)}{default} "
            f"{directives}".rstrip()
        )
    return sorted(out)


def _normalise(definition: DefinitionNode) -> tuple[str, list[str]]:
    """A (key, lines) pair for one definition with every list sorted."""
    lines: list[str] = []
    if isinstance(definition, SchemaDefinitionNode):
        lines = _directives(definition.directives)
        lines += sorted(
            f"{op.operation.value}: {op.type.name.value}" for op in definition.operation_types
        )
        return "schema", lines
    if isinstance(definition, DirectiveDefinitionNode):
        locations = " | ".join(sorted(loc.value for loc in definition.locations))
        repeatable = " repeatable" if definition.repeatable else ""
        lines = [f"{_description(definition)}@{definition.name.value}{repeatable} on {locations}"]
        lines += [f"  arg {a}" for a in _input_values(definition.arguments)]
        return f"directive @{definition.name.value}", lines
    name = definition.name.value  # type: ignore[attr-defined]
    kind = type(definition).__name__.replace("TypeDefinitionNode", "")
    lines = [f"{kind} {_description(definition)}{name}"]
    lines += [f"  @ {d}" for d in _directives(definition.directives)]  # type: ignore[attr-defined]
    if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        lines += sorted(f"  implements {i.name.value}" for i in definition.interfaces or ())
        for field in sorted(definition.fields or (), key=lambda f: f.name.value):
            lines.append(f"  {_description(field)}{field.name.value}: {print_ast(field.type)}")
            lines += [f"    ({a})" for a in _input_values(field.arguments)]
            lines += [f"    {d}" for d in _directives(field.directives)]
    elif isinstance(definition, UnionTypeDefinitionNode):
        lines += sorted(f"  member {t.name.value}" for t in definition.types or ())
    elif isinstance(definition, EnumTypeDefinitionNode):
        for value in sorted(definition.values or (), key=lambda v: v.name.value):
            lines.append(f"  {_description(value)}{value.name.value}")
            lines += [f"    {d}" for d in _directives(value.directives)]
    elif isinstance(definition, InputObjectTypeDefinitionNode):
        lines += [f"  {f}" for f in _input_values(definition.fields)]
    return f"{kind} {name}", lines


def normalise(sdl: str) -> dict[str, list[str]]:
    """Parse ``sdl`` and return its definitions in an order-insensitive form."""
    document: DocumentNode = parse(sdl)
    return dict(_normalise(d) for d in document.definitions)


def compare(expected_sdl: str, actual_sdl: str) -> list[str]:
    """Unified diff lines between two supergraphs (empty when semantically equal)."""
    expected, actual = normalise(expected_sdl), normalise(actual_sdl)
    diff: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        left, right = expected.get(key, []), actual.get(key, [])
        if left != right:
            diff.extend(
                difflib.unified_diff(left, right, f"expected {key}", f"composed {key}", lineterm="")
            )
    return diff


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    base = argv[0].rstrip("/")
    suites: list[str] = argv[1:] or json.loads(_get(f"{base}/ids"))
    matched = 0
    for suite in suites:
        subgraphs = [
            Subgraph(name=s["name"], url=s["url"], sdl=s["sdl"])
            for s in json.loads(_get(f"{base}/{suite}/subgraphs"))
        ]
        expected = _get(f"{base}/{suite}/supergraph")
        try:
            actual = compose(subgraphs)
        except CompositionError as error:
            print(f"ERROR {suite}: {error.codes}")
            for issue in error.errors[:5]:
                print(f"    {issue.message}")
            continue
        diff = compare(expected, actual)
        if diff:
            print(f"DIFF  {suite}")
            for line in diff[:40]:
                print(f"    {line}")
        else:
            matched += 1
            print(f"OK    {suite}")
    print(f"compose: {matched}/{len(suites)} suites match")
    return 0 if matched == len(suites) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
