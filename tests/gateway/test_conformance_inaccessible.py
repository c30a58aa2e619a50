"""Conformance: `@inaccessible` enum values, arguments and input fields; input-object field
intersection across subgraphs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from .conformance.harness import World, serve
from .conformance.hidden import SCHEMAS


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS) as w:
        yield w


def _rejected(body: dict[str, Any], code: str = "GRAPHQL_VALIDATION_FAILED") -> bool:
    return (
        body.get("data") is None
        and bool(body["errors"])
        and all(e["extensions"]["code"] == code for e in body["errors"])
    )


async def test_api_schema_hides_inaccessible_values_arguments_and_input_fields(
    world: World,
) -> None:
    body = await world.query(
        """{
          band: __type(name: "Band") { enumValues { name } }
          filter: __type(name: "StarFilter") { inputFields { name } }
          query: __type(name: "Query") { fields { name args { name } } }
        }"""
    )
    assert body["data"]["band"] == {"enumValues": [{"name": "OPTICAL"}, {"name": "RADIO"}]}
    # constellation is not in every subgraph's StarFilter: the intersection drops it.
    assert body["data"]["filter"] == {"inputFields": [{"name": "minMagnitude"}]}
    args = {f["name"]: [a["name"] for a in f["args"]] for f in body["data"]["query"]["fields"]}
    assert args["stars"] == ["filter"]
    assert world.calls() == {}


async def test_accessible_enum_input_is_forwarded(world: World) -> None:
    body = await world.query("{ observedIn(band: RADIO) }")
    assert body == {"data": {"observedIn": ["Sgr A*"]}}


async def test_inaccessible_enum_value_in_the_document_is_rejected(world: World) -> None:
    body = await world.query("{ observedIn(band: XRAY) }")
    assert _rejected(body)
    assert world.calls() == {}


async def test_inaccessible_enum_value_in_variables_is_rejected(world: World) -> None:
    body = await world.query("query ($b: Band!) { observedIn(band: $b) }", {"b": "XRAY"})
    assert _rejected(body, "BAD_USER_INPUT")
    assert world.calls() == {}


async def test_inaccessible_enum_value_in_output_is_nulled_with_an_error(world: World) -> None:
    body = await world.query("{ primaryBand }")
    assert body["data"] == {"primaryBand": None}
    assert [e["path"] for e in body["errors"]] == [["primaryBand"]]


async def test_inaccessible_enum_value_in_an_output_list_nulls_that_item(world: World) -> None:
    body = await world.query("{ bands }")
    assert body["data"] == {"bands": ["OPTICAL", None, "RADIO"]}
    assert [e["path"] for e in body["errors"]] == [["bands", 1]]


async def test_inaccessible_argument_is_rejected(world: World) -> None:
    body = await world.query('{ stars(secret: "open sesame") }')
    assert _rejected(body)
    assert world.calls() == {}


async def test_inaccessible_input_field_is_rejected(world: World) -> None:
    body = await world.query("{ stars(filter: { internalFlag: true }) }")
    assert _rejected(body)
    body = await world.query(
        "query ($f: StarFilter) { stars(filter: $f) }", {"f": {"internalFlag": True}}
    )
    assert _rejected(body, "BAD_USER_INPUT")
    assert world.calls() == {}


async def test_input_field_missing_in_one_subgraph_is_unknown_to_clients(world: World) -> None:
    body = await world.query('{ stars(filter: { constellation: "Lyra" }) }')
    assert _rejected(body)
    assert world.calls() == {}


async def test_shared_input_fields_reach_every_subgraph(world: World) -> None:
    query = "query ($f: StarFilter) { stars(filter: $f) nearby(filter: $f) }"
    body = await world.query(query, {"f": {"minMagnitude": 1.5}})
    assert body == {"data": {"stars": ["Vega", "Deneb"], "nearby": ["Sirius"]}}
    assert world.calls() == {"catalog": 1, "stellar": 1}
    assert world.log("stellar")[0].variables == {"f": {"minMagnitude": 1.5}}
