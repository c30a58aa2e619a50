"""``@link`` resolution: maps a subgraph's local directive names to spec names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql.language import (
    ConstValueNode,
    DirectiveNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
)

FEDERATION_DIRECTIVES = frozenset(
    {
        "key",
        "external",
        "requires",
        "provides",
        "extends",
        "shareable",
        "inaccessible",
        "override",
        "interfaceObject",
        "tag",
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "cost",
        "listSize",
        "context",
        "fromContext",
    }
)
FED1_DIRECTIVES = frozenset({"key", "external", "requires", "provides", "extends", "tag"})
_STANDALONE_SPECS = frozenset(
    {"inaccessible", "tag", "authenticated", "requiresScopes", "policy", "cost"}
)
_SPEC_URL = re.compile(r"^https?://specs\.apollo\.dev/(\w+)/v(\d+)\.(\d+)")


@dataclass
class LinkInfo:
    """What the subgraph's ``@link`` applications import."""

    fed2: bool = False
    version: tuple[int, int] = (2, 0)
    directives: dict[str, str] = field(default_factory=dict)
    prefixes: set[str] = field(default_factory=set)
    imported_types: set[str] = field(default_factory=set)


def _arg(directive: DirectiveNode, name: str) -> ConstValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value  # type: ignore[return-value]
    return None


def _string(value: ConstValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _imports(value: ConstValueNode | None) -> list[tuple[str, str]]:
    items = value.values if isinstance(value, ListValueNode) else ([value] if value else [])
    result: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, StringValueNode):
            result.append((item.value, item.value))
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: f.value for f in item.fields}
            name = _string(fields.get("name"))
            alias = _string(fields.get("as"))
            if name:
                result.append((name, alias or name))
    return result


def resolve_links(links: list[DirectiveNode]) -> LinkInfo:
    """Build the local-name → spec-name directive map from ``@link`` applications."""
    info = LinkInfo()
    for link in links:
        url = _string(_arg(link, "url")) or ""
        match = _SPEC_URL.match(url)
        if not match:
            continue
        spec = match.group(1)
        version = (int(match.group(2)), int(match.group(3)))
        prefix = _string(_arg(link, "as")) or spec
        imports = _imports(_arg(link, "import"))
        if spec == "federation":
            info.fed2 = True
            info.version = max(info.version, version)
            known = FEDERATION_DIRECTIVES
        elif spec in _STANDALONE_SPECS:
            known = frozenset({spec})
            info.directives.setdefault(prefix, spec)
        else:
            continue
        info.prefixes.add(prefix)
        for name in known:
            info.directives.setdefault(f"{prefix}__{name}", name)
        for name, alias in imports:
            if name.startswith("@"):
                info.directives[alias.lstrip("@")] = name.lstrip("@")
            else:
                info.imported_types.add(alias)
    if not info.fed2:
        for name in FED1_DIRECTIVES:
            info.directives.setdefault(name, name)
        info.directives.setdefault("inaccessible", "inaccessible")
    return info
