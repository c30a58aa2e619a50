"""The ``compose`` entry point: parse, validate, merge and print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import IssueCollector
from .merge import merge_subgraphs
from .model import SubgraphSchema
from .printer import print_supergraph
from .satisfiability import check_satisfiability
from .subgraph import build_subgraph
from .validate import check_subgraph


@dataclass(frozen=True)
class Subgraph:
    """One subgraph to compose: its name, routing URL and SDL."""

    name: str
    url: str
    sdl: str


def compose(subgraphs: Sequence[Subgraph]) -> str:
    """Compose ``subgraphs`` into a supergraph SDL.

    Subgraphs are processed in name order, so the output is deterministic regardless of
    the input order. Raises :class:`CompositionError` listing every problem found.
    """
    issues = IssueCollector()
    names = [s.name for s in subgraphs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        issues.add("INVALID_SUBGRAPH_NAME", f'A subgraph named "{name}" is given more than once')
    if not subgraphs:
        issues.add("NO_QUERIES", "No subgraphs to compose.")
    issues.raise_if_any()
    schemas: list[SubgraphSchema] = []
    for subgraph in sorted(subgraphs, key=lambda s: s.name):
        schema = build_subgraph(subgraph.name, subgraph.url, subgraph.sdl, issues)
        if schema is not None:
            check_subgraph(schema, issues)
            schemas.append(schema)
    issues.raise_if_any()
    supergraph = merge_subgraphs(schemas, issues)
    issues.raise_if_any()
    check_satisfiability(schemas, supergraph, issues)
    issues.raise_if_any()
    return print_supergraph(supergraph)
