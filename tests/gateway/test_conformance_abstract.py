"""Conformance: interfaces and unions spread over subgraphs, `__typename`, `@interfaceObject`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .conformance.abstract import SCHEMAS
from .conformance.harness import World, serve


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS) as w:
        yield w


# -- interfaces and unions whose members differ per subgraph ---------------------------------


async def test_fragments_on_types_a_subgraph_lacks_are_not_sent_to_it(world: World) -> None:
    query = """{ radioDetectors {
      __typename name
      ... on Spectrograph { resolution }
      ... on Camera { pixels }
      ... on Receiver { band }
    } }"""
    body = await world.query(query)
    assert body == {
        "data": {"radioDetectors": [{"__typename": "Receiver", "name": "L-band feed", "band": "L"}]}
    }
    assert world.calls() == {"radio": 1}
    # radio has no Spectrograph, and its Camera is no Detector: it would reject those fragments.
    sent = world.log("radio")[0].query
    assert "Spectrograph" not in sent
    assert "Camera" not in sent


async def test_interface_member_fields_come_from_the_subgraph_that_has_them(world: World) -> None:
    body = await world.query("{ detectors { name ... on Camera { frameRate } } }")
    assert body == {
        "data": {"detectors": [{"name": "Wide-field camera", "frameRate": 30}, {"name": "Echelle"}]}
    }
    assert world.calls() == {"optics": 1, "radio": 1}
    assert world.log("radio")[0].representations == [{"__typename": "Camera", "id": "c1"}]


async def test_union_members_differ_per_subgraph(world: World) -> None:
    query = """{ signals {
      __typename
      ... on Pulsar { periodMs }
      ... on Asteroid { diameterKm }
      ... on Comet { designation }
    } }"""
    body = await world.query(query)
    assert body == {
        "data": {
            "signals": [
                {"__typename": "Pulsar", "periodMs": 1337.3},
                {"__typename": "Comet", "designation": "2P/Encke"},
            ]
        }
    }
    assert world.calls() == {"radio": 1}
    assert "Asteroid" not in world.log("radio")[0].query


async def test_object_matching_no_fragment_is_an_empty_object(world: World) -> None:
    body = await world.query("{ sightings { ... on Pulsar { periodMs } } }")
    assert body == {"data": {"sightings": [{}, {}]}}
    assert world.calls() == {"optics": 1}


async def test_typename_everywhere_aliased_repeated_and_in_fragments(world: World) -> None:
    query = """
      query { __typename q: __typename detectors { t: __typename __typename ...Cam } signals { ...S } }
      fragment Cam on Camera { again: __typename frameRate }
      fragment S on Sighting { ... on Comet { __typename } kind: __typename }
    """
    body = await world.query(query)
    assert body == {
        "data": {
            "__typename": "Query",
            "q": "Query",
            "detectors": [
                {"t": "Camera", "__typename": "Camera", "again": "Camera", "frameRate": 30},
                {"t": "Spectrograph", "__typename": "Spectrograph"},
            ],
            "signals": [{"kind": "Pulsar"}, {"__typename": "Comet", "kind": "Comet"}],
        }
    }


async def test_typename_alone_is_answered_without_any_subgraph(world: World) -> None:
    body = await world.query("{ __typename }")
    assert body == {"data": {"__typename": "Query"}}
    assert world.calls() == {}


# -- @interfaceObject ------------------------------------------------------------------------


async def test_interface_object_adds_a_field_to_every_implementation(world: World) -> None:
    body = await world.query("{ equipment { name hoursUsed } }")
    assert body == {
        "data": {
            "equipment": [
                {"name": "EQ6", "hoursUsed": 340},
                {"name": "North dome", "hoursUsed": 1200},
            ]
        }
    }
    assert world.calls() == {"equipment": 1, "upkeep": 1}
    # upkeep only knows the interface: representations carry its name, not Mount or Dome.
    assert world.log("upkeep")[0].representations == [
        {"__typename": "Equipment", "id": "m1"},
        {"__typename": "Equipment", "id": "d1"},
    ]


async def test_interface_object_real_typename_is_resolved_by_the_owner(world: World) -> None:
    query = "{ mostUsed { __typename id hoursUsed ... on Dome { diameterM } ... on Mount { payloadKg } } }"
    body = await world.query(query)
    assert body == {
        "data": {"mostUsed": {"__typename": "Dome", "id": "d1", "hoursUsed": 1200, "diameterM": 12}}
    }
    assert world.calls() == {"upkeep": 1, "equipment": 1}
    assert world.log("equipment")[0].representations == [{"__typename": "Equipment", "id": "d1"}]


async def test_interface_object_fields_alone_need_no_owner(world: World) -> None:
    body = await world.query("{ mostUsed { id hoursUsed } }")
    assert body == {"data": {"mostUsed": {"id": "d1", "hoursUsed": 1200}}}
    assert world.calls() == {"upkeep": 1}


async def test_non_resolvable_interface_object_jumps_to_a_resolvable_one(world: World) -> None:
    body = await world.query("{ spotlight { id hoursUsed } }")
    assert body == {
        "data": {"spotlight": [{"id": "m1", "hoursUsed": 340}, {"id": "x9", "hoursUsed": 5}]}
    }
    assert world.calls() == {"labels": 1, "upkeep": 1}


async def test_unresolvable_real_type_gives_null_and_an_error(world: World) -> None:
    # The owner cannot resolve x9: its real type is unknown, so the item is null, with an error.
    body = await world.query("{ spotlight { __typename name } }")
    assert body["data"] == {"spotlight": [{"__typename": "Mount", "name": "EQ6"}, None]}
    assert [(e["message"], e["path"]) for e in body["errors"]] == [
        ("No equipment x9", ["spotlight", 1])
    ]
    assert world.calls() == {"labels": 1, "equipment": 1}


async def test_unresolvable_real_type_is_null_even_without_typename(world: World) -> None:
    body = await world.query("{ spotlight { ... on Mount { payloadKg } } }")
    assert body["data"] == {"spotlight": [{"payloadKg": 20}, None]}
    assert body["errors"]
