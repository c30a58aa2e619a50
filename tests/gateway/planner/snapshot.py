"""Plan snapshots: plan operations against a fixture supergraph and compare the rendered
plans with a stored text under ``snapshots/``.

Set ``ASTRO_UPDATE_SNAPSHOTS=1`` to rewrite the stored texts instead of comparing, then
read the diff in version control: it is the effect of the planner change on each feature.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import get_operation_ast, parse, print_ast, validate

from gateway.api_schema import build_api_schema
from gateway.plan import format_plan
from gateway.planner import PreparedOperation, QueryPlanner
from gateway.supergraph import parse_supergraph

__all__ = ["assert_plans_match_snapshot", "render_plans"]

SNAPSHOTS = Path(__file__).parent / "snapshots"

Case = tuple[str, Mapping[str, Any]]


def render_plans(supergraph_sdl: str, cases: list[Case]) -> str:
    """Each operation with its variables, followed by its plan; cases are separated by
    a line of dashes."""
    supergraph = parse_supergraph(supergraph_sdl)
    api_schema = build_api_schema(supergraph.document)
    planner = QueryPlanner(supergraph, api_schema)
    parts: list[str] = []
    for query, variables in cases:
        document = parse(query)
        errors = validate(api_schema, document)
        assert not errors, errors
        operation = get_operation_ast(document)
        assert operation is not None
        prepared = PreparedOperation.from_document(document, operation)
        planned = planner.plan(query, prepared, variables)
        text = print_ast(operation) + "\n"
        if variables:
            text += f"variables: {json.dumps(dict(variables), sort_keys=True)}\n"
        parts.append(f"{text}\n{format_plan(planned.node)}")
    return "\n---\n\n".join(parts)


def assert_plans_match_snapshot(name: str, supergraph_sdl: str, cases: list[Case]) -> None:
    """Compare the rendered plans with ``snapshots/<name>.txt`` (or rewrite it)."""
    actual = render_plans(supergraph_sdl, cases)
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("ASTRO_UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run with ASTRO_UPDATE_SNAPSHOTS=1"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"snapshots/{path.name}",
            "planned now",
        )
        raise AssertionError("the plan changed:\n" + "".join(diff))
