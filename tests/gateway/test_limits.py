"""Operation limits at the gateway's edge: depth, aliases, root fields, tokens, cost, body size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import build_schema, parse, validate

from gateway.context import OperationContext, Reply
from gateway.engine.parse import Parse
from gateway.engine.validate import Validate
from gateway.limits import Limits

from .edge_helpers import CountingGraphQL, edge_config, edge_gateway, serve, vault_supergraph


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[tuple[str, CountingGraphQL]]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl), app


@pytest.fixture(scope="module")
async def url(vault: tuple[str, CountingGraphQL]) -> AsyncIterator[str]:
    config = edge_config(
        max_depth=1,
        max_aliases=2,
        max_root_fields=3,
        max_tokens=40,
        max_body_bytes=600,
    )
    async with edge_gateway(vault[0], config) as gateway_url:
        yield gateway_url


async def post(url: str, query: str, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(url, json={"query": query, **body})


async def rejected(url: str, query: str, code: str) -> str:
    response = await post(url, query)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == code
    message: str = error["message"]
    return message


async def test_operation_within_every_limit_runs(url: str) -> None:
    response = await post(url, "{ hello a: hello }")
    assert response.json() == {"data": {"hello": "world", "a": "world"}}


async def test_too_deep_operation_is_rejected_naming_the_limit(url: str) -> None:
    message = await rejected(url, "{ items { ... on Coin { id } } }", "MAX_DEPTH_LIMIT")
    assert "2 levels deep" in message and "max_depth" in message


async def test_too_many_aliases_are_rejected(url: str) -> None:
    message = await rejected(url, "{ a: hello b: hello c: hello }", "MAX_ALIASES_LIMIT")
    assert "max_aliases" in message


async def test_too_many_root_fields_are_rejected(url: str) -> None:
    message = await rejected(url, "{ hello me hello2: hello ledger }", "MAX_ROOT_FIELDS_LIMIT")
    assert "max_root_fields" in message


async def test_too_many_tokens_are_rejected_before_parsing(url: str) -> None:
    query = "{ " + " ".join("hello" for _ in range(50)) + " }"
    message = await rejected(url, query, "MAX_TOKENS_LIMIT")
    assert "max_tokens" in message


async def test_too_expensive_operation_is_rejected(vault: tuple[str, CountingGraphQL]) -> None:
    # Each list of objects costs 10 (the default list size) x 1: 10 passes, 20 does not.
    config = edge_config(max_cost=15, default_list_size=10)
    async with edge_gateway(vault[0], config) as gateway_url:
        ok = await post(gateway_url, "{ accounts { owner } }")
        assert ok.json() == {"data": {"accounts": [{"owner": "Ada"}]}}
        query = "{ accounts { owner } items { id } }"
        message = await rejected(gateway_url, query, "COST_ESTIMATED_TOO_EXPENSIVE")
    assert "cost is 20" in message and "max_cost" in message


async def test_too_large_body_is_rejected_with_413(url: str) -> None:
    response = await post(url, "{ hello }", variables={"padding": "x" * 1000})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_slow_subgraph_times_out_with_an_error_for_its_paths(
    vault: tuple[str, CountingGraphQL],
) -> None:
    config = edge_config(subgraph_timeout_seconds=0.2)
    async with edge_gateway(vault[0], config) as gateway_url:
        response = await post(gateway_url, "{ slow }")
    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None or body["data"] == {"slow": None}
    assert body["errors"][0]["extensions"]["code"].startswith("SUBREQUEST")


async def test_no_config_means_no_limits(vault: tuple[str, CountingGraphQL]) -> None:
    from gateway.app import create_app

    async with serve(create_app(vault[0]), lifespan="on") as base:
        query = "{ " + " ".join(f"a{i}: hello" for i in range(60)) + " }"
        response = await post(base + "/graphql", query)
    assert response.status_code == 200
    assert len(response.json()["data"]) == 60


# -- the limits as graphql-core validation rules ---------------------------------------------------

SCHEMA = build_schema(
    """
    type Query { launches(first: Int): [Launch!]! hello: String }
    type Launch { id: ID! rocket: Rocket }
    type Rocket { name: String }
    """
)


def validated(query: str, limits: Limits, variables: dict[str, Any] | None = None) -> Reply | None:
    """Run the engine's parse and validate stages with ``limits``' rules; the reply, if any."""
    ctx = OperationContext(payload={"query": query, "variables": variables})
    try:
        Parse()(ctx)
        Validate(SCHEMA, limits.rules())(ctx)
    except Reply as reply:
        return reply
    return None


def code(reply: Reply | None) -> str | None:
    return None if reply is None else str(reply.errors[0]["extensions"]["code"])


def test_limits_are_validation_rules_graphql_core_can_run() -> None:
    limits = Limits(schema=SCHEMA, max_depth=2, max_aliases=1)
    errors = validate(
        SCHEMA, parse("{ a: hello b: hello launches { rocket { name } } }"), limits.rules()
    )
    assert [e.extensions["code"] for e in errors if e.extensions] == [
        "MAX_DEPTH_LIMIT",
        "MAX_ALIASES_LIMIT",
    ]


def test_the_first_limit_told_is_the_one_reported() -> None:
    limits = Limits(schema=SCHEMA, max_depth=1, max_aliases=1, max_root_fields=1)
    reply = validated("{ a: hello b: hello launches { id } }", limits)
    assert reply is not None and reply.status == 400 and len(reply.errors) == 1
    assert code(reply) == "MAX_DEPTH_LIMIT"


def test_spec_errors_come_before_limits() -> None:
    limits = Limits(schema=SCHEMA, max_depth=1)
    assert code(validated("{ launches { nope } }", limits)) == "GRAPHQL_VALIDATION_FAILED"


def test_a_cost_sized_by_a_variable_is_judged_per_request() -> None:
    limits = Limits(schema=SCHEMA, max_cost=50, default_list_size=10)
    query = "query($n: Int) { launches(first: $n) { rocket { name } } }"
    assert validated(query, limits, {"n": 5}) is None  # 5 x (1 + 1)
    reply = validated(query, limits, {"n": 100})
    assert code(reply) == "COST_ESTIMATED_TOO_EXPENSIVE"
    assert reply is not None and "cost is 200" in reply.errors[0]["message"]
    assert (
        code(validated("{ launches(first: 30) { rocket { name } } }", limits))
        == "COST_ESTIMATED_TOO_EXPENSIVE"
    )
    assert validated("{ launches(first: 3) { id } }", limits) is None
