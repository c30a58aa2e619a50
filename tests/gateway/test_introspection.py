"""Introspection root fields next to planned ones, over real HTTP in front of real subgraphs.

``__schema``/``__type`` are answered from the API schema; the other root fields of the same
operation are still planned and fetched, and the data keeps the query's key order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app

from .edge_helpers import edge_config, serve
from .subgraphs import CountingApp


@pytest.fixture(scope="module")
async def url(supergraph_sdl: str) -> AsyncIterator[str]:
    async with serve(create_app(supergraph_sdl), lifespan="on") as base:
        yield base + "/graphql"


async def post(url: str, query: str, **body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json={"query": query, **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_nullable_field_next_to_type_is_fetched(
    url: str, subgraphs: dict[str, tuple[str, CountingApp]]
) -> None:
    missions = subgraphs["missions"][1]
    before = missions.calls
    body = await post(url, '{ __type(name: "Mission") { name } mission(id: "m1") { id name } }')
    assert body == {
        "data": {
            "__type": {"name": "Mission"},
            "mission": {"id": "m1", "name": "Lunar Gateway"},
        }
    }
    assert list(body["data"]) == ["__type", "mission"]
    assert missions.calls == before + 1


async def test_a_non_null_field_next_to_schema_is_fetched(url: str) -> None:
    body = await post(url, "{ missions { id } __schema { queryType { name } } }")
    assert body == {
        "data": {
            "missions": [{"id": "m1"}, {"id": "m2"}],
            "__schema": {"queryType": {"name": "Query"}},
        }
    }
    assert list(body["data"]) == ["missions", "__schema"]


async def test_keys_keep_the_query_order_with_aliases_typename_and_variables(url: str) -> None:
    query = (
        "query Q($t: String!) { a: rockets { id } t: __type(name: $t) { kind } "
        '__typename m: mission(id: "nope") { id } }'
    )
    body = await post(url, query, variables={"t": "Rocket"})
    assert list(body["data"]) == ["a", "t", "__typename", "m"]
    assert body["data"]["t"] == {"kind": "OBJECT"}
    assert body["data"]["__typename"] == "Query"
    assert body["data"]["m"] is None
    assert body["data"]["a"] and "errors" not in body


async def test_introspection_alone_still_never_asks_a_subgraph(
    url: str, subgraphs: dict[str, tuple[str, CountingApp]]
) -> None:
    before = {name: app.calls for name, (_, app) in subgraphs.items()}
    body = await post(url, '{ __typename __type(name: "Rocket") { name } }')
    assert body == {"data": {"__typename": "Query", "__type": {"name": "Rocket"}}}
    assert {name: app.calls for name, (_, app) in subgraphs.items()} == before


async def test_mixed_introspection_behind_the_edge(supergraph_sdl: str) -> None:
    async with serve(create_app(supergraph_sdl, edge_config()), lifespan="on") as base:
        body = await post(base + "/graphql", '{ __type(name: "Craft") { name } missions { id } }')
    assert body == {"data": {"__type": {"name": "Craft"}, "missions": [{"id": "m1"}, {"id": "m2"}]}}


async def test_a_root_fragment_keeps_its_place_next_to_introspection(url: str) -> None:
    query = '{ __type(name: "Rocket") { name } ... on Query { missions { id } } fitnessLevels }'
    body = await post(url, query)
    assert list(body["data"]) == ["__type", "missions", "fitnessLevels"]
    assert body["data"]["__type"] == {"name": "Rocket"}
    assert body["data"]["missions"] == [{"id": "m1"}, {"id": "m2"}]
    assert "errors" not in body
