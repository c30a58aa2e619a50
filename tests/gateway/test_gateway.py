"""End-to-end behaviour of the gateway in front of real Strawberry subgraphs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.app import Gateway, create_app
from gateway.plan import format_plan

from .subgraphs import SCHEMAS, CountingApp


async def run(gw: Gateway, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    _, body = await gw.execute(payload)
    return body


async def test_root_fields_are_fetched_from_their_subgraph(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { id name } }")
    assert body == {
        "data": {
            "missions": [
                {"id": "m1", "name": "Lunar Gateway"},
                {"id": "m2", "name": "Europa Lander"},
            ]
        }
    }


async def test_entity_fields_are_fetched_from_owning_subgraph(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { name crewSize } }")
    assert body["data"]["missions"] == [
        {"name": "Lunar Gateway", "crewSize": 4},
        {"name": "Europa Lander", "crewSize": 2},
    ]


async def test_key_chain_crosses_three_subgraphs(gateway: Gateway) -> None:
    # missions knows the commander's id, crew maps id → badge, medical resolves by badge.
    body = await run(gateway, '{ mission(id: "m1") { commander { name fitness } } }')
    assert body == {"data": {"mission": {"commander": {"name": "Ada", "fitness": "excellent"}}}}


async def test_requires_sends_required_fields_in_the_representation(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { id loadPerCrew } }")
    assert body["data"]["missions"] == [
        {"id": "m1", "loadPerCrew": 300.0},
        {"id": "m2", "loadPerCrew": 150.0},
    ]


async def test_provided_fields_need_no_extra_fetch(
    gateway: Gateway, subgraphs: dict[str, tuple[str, CountingApp]]
) -> None:
    rockets = subgraphs["rockets"][1]
    before = rockets.calls
    body = await run(gateway, "{ missions { rocket { id name } } }")
    assert body["data"]["missions"][0] == {"rocket": {"id": "r1", "name": "Falcon"}}
    assert rockets.calls == before


async def test_unprovided_fields_are_fetched_from_the_owner(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { rocket { name thrust } } }")
    assert body["data"]["missions"] == [
        {"rocket": {"name": "Falcon", "thrust": 7600}},
        {"rocket": {"name": "Ariane", "thrust": 1340}},
    ]


async def test_interface_members_are_completed_per_runtime_type(gateway: Gateway) -> None:
    query = "{ crafts { __typename name ... on Probe { instrument } ... on Capsule { seats } } }"
    body = await run(gateway, query)
    assert body == {
        "data": {
            "crafts": [
                {"__typename": "Capsule", "name": "Orion", "seats": 4},
                {"__typename": "Probe", "name": "Voyager", "instrument": "magnetometer"},
            ]
        }
    }


async def test_typename_can_be_aliased_and_repeated(gateway: Gateway) -> None:
    body = await run(gateway, "{ crafts { kind: __typename __typename again: __typename } }")
    assert body["data"]["crafts"][1] == {"kind": "Probe", "__typename": "Probe", "again": "Probe"}


async def test_skip_and_include_follow_variables(gateway: Gateway) -> None:
    query = """query ($withCrew: Boolean = false, $noName: Boolean!) {
      missions { id crewSize @include(if: $withCrew) name @skip(if: $noName) }
    }"""
    body = await run(gateway, query, {"noName": True})
    assert body["data"]["missions"][0] == {"id": "m1"}
    body = await run(gateway, query, {"withCrew": True, "noName": False})
    assert body["data"]["missions"][0] == {"id": "m1", "crewSize": 4, "name": "Lunar Gateway"}


async def test_mutations_run_serially_in_document_order(gateway: Gateway, steps: list[str]) -> None:
    query = """mutation {
      first: appendStep(step: "a")
      doubled: doubleSteps
      last: appendStep(step: "b")
    }"""
    body = await run(gateway, query)
    assert body["data"] == {
        "first": ["a"],
        "doubled": ["a", "a"],
        "last": ["a", "a", "b"],
    }


async def test_null_in_non_null_field_bubbles_to_nullable_parent(gateway: Gateway) -> None:
    body = await run(gateway, '{ mission(id: "m2") { id flightDirector } }')
    assert body["data"] == {"mission": None}
    assert body["errors"]


async def test_internal_key_and_typename_fields_do_not_leak(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { crewSize commander { fitness } } }")
    assert body["data"]["missions"][0] == {"crewSize": 4, "commander": {"fitness": "excellent"}}
    assert "errors" not in body


async def test_aliases_do_not_clash_with_internal_key_fields(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { id: name crewSize } }")
    assert body["data"]["missions"][0] == {"id": "Lunar Gateway", "crewSize": 4}


async def test_subgraph_down_gives_partial_data_and_an_error(
    gateway_with_rockets_down: Gateway,
) -> None:
    body = await run(gateway_with_rockets_down, "{ missions { name rocket { thrust } } }")
    assert body["data"] == {
        "missions": [
            {"name": "Lunar Gateway", "rocket": None},
            {"name": "Europa Lander", "rocket": None},
        ]
    }
    assert body["errors"]


async def test_inaccessible_fields_are_not_in_the_api_schema(gateway: Gateway) -> None:
    body = await run(gateway, "{ missions { secretCode } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_bad_variables_are_reported_as_user_input_errors(gateway: Gateway) -> None:
    body = await run(gateway, "query ($id: ID!) { mission(id: $id) { id } }", {})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_plans_are_cached_per_operation(gateway: Gateway) -> None:
    query = "{ missions { name crewSize } }"
    await run(gateway, query)
    await run(gateway, query)
    assert len(gateway.planner.cache) == 1
    planned = next(iter(gateway.planner.cache.values()))
    assert planned.fetch_count == 2
    assert "Flatten" in format_plan(planned.node)


async def test_http_endpoint_answers_ping_and_parse_errors(supergraph_sdl: str) -> None:
    app = create_app(supergraph_sdl)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        resp = await client.post("/graphql", json={"query": "query ping { __typename }"})
        assert resp.json() == {"data": {"__typename": "Query"}}
        resp = await client.post("/graphql", json={"query": "{ missions { "})
        assert resp.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        resp = await client.get("/graphql", params={"query": "{ missions { id } }"})
        assert resp.json()["data"]["missions"][0] == {"id": "m1"}
        resp = await client.get("/graphql", headers={"accept": "text/html"})
        assert resp.headers["content-type"].startswith("text/html")
        assert "<textarea" in resp.text


async def test_authorization_header_is_forwarded_to_subgraphs(supergraph_sdl: str) -> None:
    app = create_app(supergraph_sdl)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        resp = await client.post(
            "/graphql",
            json={"query": "{ whoami }"},
            headers={"Authorization": "Bearer t0ken"},
        )
        assert resp.json() == {"data": {"whoami": "Bearer t0ken"}}
        resp = await client.post("/graphql", json={"query": "{ whoami }"})
        assert resp.json() == {"data": {"whoami": None}}


async def test_mutations_are_refused_over_get(supergraph_sdl: str, steps: list[str]) -> None:
    app = create_app(supergraph_sdl)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        resp = await client.get("/graphql", params={"query": 'mutation { appendStep(step: "x") }'})
        assert resp.status_code == 405
        assert steps == []


async def test_aliased_root_fields_with_different_arguments_stay_apart(gateway: Gateway) -> None:
    body = await run(
        gateway,
        '{ a: mission(id: "m1") { name crewSize } b: mission(id: "m2") { name crewSize } }',
    )
    assert body == {
        "data": {
            "a": {"name": "Lunar Gateway", "crewSize": 4},
            "b": {"name": "Europa Lander", "crewSize": 2},
        }
    }


async def test_fragments_on_entities_are_resolved_across_subgraphs(gateway: Gateway) -> None:
    query = """
      query ($id: ID!) { mission(id: $id) { ...Summary } }
      fragment Summary on Mission { name ... on Mission { crewSize commander { ...Fit } } }
      fragment Fit on Astronaut { fitness }
    """
    body = await run(gateway, query, {"id": "m2"})
    assert body == {
        "data": {
            "mission": {"name": "Europa Lander", "crewSize": 2, "commander": {"fitness": "good"}}
        }
    }


async def test_composed_supergraph_serves_the_same_answers(
    subgraphs: dict[str, tuple[str, CountingApp]],
) -> None:
    composer = pytest.importorskip("gateway.compose")
    sdl = composer.compose(
        [
            composer.Subgraph(name, url, SCHEMAS[name].as_str())
            for name, (url, _) in subgraphs.items()
        ]
    )
    gw = Gateway(sdl)
    body = await run(
        gw, '{ mission(id: "m1") { loadPerCrew commander { fitness } rocket { thrust } } }'
    )
    assert body == {
        "data": {
            "mission": {
                "loadPerCrew": 300.0,
                "commander": {"fitness": "excellent"},
                "rocket": {"thrust": 7600},
            }
        }
    }
