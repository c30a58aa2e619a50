"""Merging of descriptions and carried-over directives (tags, auth, cost, …)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from graphql.language import DirectiveNode, IntValueNode

from .model import Meta


def dnf_and(left: list[list[str]], right: list[list[str]]) -> list[list[str]]:
    """Conjunction of two disjunctions of conjunctions (``@requiresScopes``/``@policy``)."""
    product: list[list[str]] = []
    for a in left:
        for b in right:
            merged = sorted(set(a) | set(b))
            if merged not in product:
                product.append(merged)
    return [p for p in product if not any(set(o) < set(p) for o in product)]


def _merge_dnf(values: list[list[list[str]]]) -> list[list[str]] | None:
    distinct: list[list[list[str]]] = []
    for value in values:
        if value not in distinct:
            distinct.append(value)
    if not distinct:
        return None
    result = distinct[0]
    for value in distinct[1:]:
        result = dnf_and(result, value)
    return result


def _weight(directive: DirectiveNode) -> int:
    for argument in directive.arguments or ():
        if argument.name.value == "weight" and isinstance(argument.value, IntValueNode):
            return int(argument.value.value)
    return 0


def merge_meta(metas: Sequence[Meta]) -> Meta:
    """Merge the carried-over metadata of one element across subgraphs."""
    descriptions = [m.description for m in metas if m.description]
    description = None
    if descriptions:
        counts = Counter(descriptions)
        best = max(counts.values())
        description = next(d for d in descriptions if counts[d] == best)
    tags: list[str] = []
    for meta in metas:
        tags.extend(tag for tag in meta.tags if tag not in tags)
    costs = [m.cost for m in metas if m.cost is not None]
    return Meta(
        description=description,
        inaccessible=any(m.inaccessible for m in metas),
        tags=tags,
        deprecated=next((m.deprecated for m in metas if m.deprecated), None),
        specified_by=next((m.specified_by for m in metas if m.specified_by), None),
        authenticated=any(m.authenticated for m in metas),
        requires_scopes=_merge_dnf([m.requires_scopes for m in metas if m.requires_scopes]),
        policies=_merge_dnf([m.policies for m in metas if m.policies]),
        cost=max(costs, key=_weight) if costs else None,
        list_size=next((m.list_size for m in metas if m.list_size), None),
    )
