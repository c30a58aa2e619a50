"""Conformance: `@provides` — nested and type-conditioned; the owner is only called when needed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .conformance.harness import World, serve
from .conformance.provides import SCHEMAS


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS) as w:
        yield w


async def test_nested_provided_fields_are_not_fetched_from_the_owner(world: World) -> None:
    body = await world.query("{ headlines { title telescope { name operator { name } } } }")
    assert body == {
        "data": {
            "headlines": [
                {
                    "title": "Keck spots Vega",
                    "telescope": {"name": "Keck", "operator": {"name": "Andrea"}},
                },
                {
                    "title": "Crab in focus",
                    "telescope": {"name": "Keck", "operator": {"name": "Andrea"}},
                },
            ]
        }
    }
    assert world.calls() == {"news": 1}


async def test_fields_beyond_the_provided_ones_come_from_the_owner(world: World) -> None:
    body = await world.query("{ headlines { telescope { name aperture operator { email } } } }")
    expected = {"name": "Keck", "aperture": 10.0, "operator": {"email": "andrea@keck.example"}}
    assert body == {"data": {"headlines": [{"telescope": expected}, {"telescope": expected}]}}
    # Entity fetches for the rest only; the provided name is never asked of the owner.
    assert world.calls()["news"] == 1
    assert world.log("catalog")
    assert all("name" not in call.query for call in world.log("catalog"))


async def test_type_conditioned_provides_on_an_interface_field(world: World) -> None:
    body = await world.query("{ headlines { subject { id ... on Star { name } } } }")
    assert body == {
        "data": {
            "headlines": [{"subject": {"id": "s1", "name": "Vega"}}, {"subject": {"id": "n1"}}]
        }
    }
    assert world.calls() == {"news": 1}


async def test_interface_field_not_provided_for_a_type_is_fetched_for_that_type_only(
    world: World,
) -> None:
    body = await world.query("{ headlines { subject { __typename name } } }")
    assert body == {
        "data": {
            "headlines": [
                {"subject": {"__typename": "Star", "name": "Vega"}},
                {"subject": {"__typename": "Nebula", "name": "Crab"}},
            ]
        }
    }
    assert world.calls() == {"news": 1, "catalog": 1}
    assert world.log("catalog")[0].representations == [{"__typename": "Nebula", "id": "n1"}]


async def test_type_conditioned_provides_on_a_union_field(world: World) -> None:
    query = "{ headlines { media { ... on Image { caption } ... on Video { id } } } }"
    body = await world.query(query)
    assert body == {
        "data": {
            "headlines": [
                {"media": [{"caption": "First light"}, {"id": "v1"}]},
                {"media": []},
            ]
        }
    }
    assert world.calls() == {"news": 1}


async def test_union_member_not_provided_is_fetched_from_the_owner(world: World) -> None:
    body = await world.query("{ headlines { media { ... on Video { caption } } } }")
    assert body == {
        "data": {"headlines": [{"media": [{}, {"caption": "Timelapse"}]}, {"media": []}]}
    }
    assert world.calls() == {"news": 1, "catalog": 1}
    assert world.log("catalog")[0].representations == [{"__typename": "Video", "id": "v1"}]
