"""Conformance: entity keys — multiple, composite, nested, list-valued, non-resolvable, chains, nulls."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .conformance.harness import World, serve
from .conformance.keys import SCHEMAS


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS) as w:
        yield w


async def test_planner_jumps_with_the_key_the_target_subgraph_resolves_by(world: World) -> None:
    body = await world.query("{ telescopes { name lastService } }")
    assert body == {
        "data": {
            "telescopes": [
                {"name": "Hale", "lastService": "2024-03-01"},
                {"name": "Hooker", "lastService": "2023-11-15"},
            ]
        }
    }
    # registry has both keys: one jump straight to maintenance, by serial.
    assert world.calls() == {"registry": 1, "maintenance": 1}
    assert world.log("maintenance")[0].representations == [
        {"__typename": "Telescope", "serial": "SN-001"},
        {"__typename": "Telescope", "serial": "SN-002"},
    ]


async def test_key_chain_fetches_the_missing_key_from_a_third_subgraph(world: World) -> None:
    # sites only knows ids, maintenance only resolves by serial: registry maps id → serial.
    body = await world.query("{ summit { id elevation lastService } }")
    assert body == {
        "data": {
            "summit": [
                {"id": "t1", "elevation": 1712, "lastService": "2024-03-01"},
                {"id": "t2", "elevation": 1742, "lastService": "2023-11-15"},
            ]
        }
    }
    assert world.calls() == {"sites": 1, "registry": 1, "maintenance": 1}
    assert world.log("registry")[0].representations == [
        {"__typename": "Telescope", "id": "t1"},
        {"__typename": "Telescope", "id": "t2"},
    ]


async def test_composite_key_sends_every_key_field(world: World) -> None:
    body = await world.query("{ plates { year resolution } }")
    assert body == {
        "data": {
            "plates": [
                {"year": 1890, "resolution": 1.5},
                {"year": 1902, "resolution": 0.8},
                {"year": 1911, "resolution": 2.0},
            ]
        }
    }
    assert world.calls() == {"archive": 1, "scans": 1}
    assert world.log("scans")[0].representations == [
        {"__typename": "Plate", "survey": "HAR", "number": 1},
        {"__typename": "Plate", "survey": "HAR", "number": 2},
        {"__typename": "Plate", "survey": "DASCH", "number": 1},
    ]


async def test_nested_key_sends_the_nested_object(world: World) -> None:
    body = await world.query("{ astronomers { name prizes } }")
    assert body == {
        "data": {
            "astronomers": [
                {"name": "Vera", "prizes": ["Bruce Medal"]},
                {"name": "Edwin", "prizes": []},
            ]
        }
    }
    assert world.calls() == {"people": 1, "awards": 1}
    assert world.log("awards")[0].representations == [
        {"__typename": "Astronomer", "id": "a1", "institute": {"id": "carnegie"}},
        {"__typename": "Astronomer", "id": "a2", "institute": {"id": "mtwilson"}},
    ]


async def test_list_valued_key_is_sent_as_a_list(world: World) -> None:
    body = await world.query("{ mosaics { title coverage } }")
    assert body == {
        "data": {
            "mosaics": [
                {"title": "Orion", "coverage": 0.75},
                {"title": "Lyra", "coverage": 0.5},
            ]
        }
    }
    assert world.log("scans")[0].representations == [
        {"__typename": "Mosaic", "tiles": [1, 2, 3]},
        {"__typename": "Mosaic", "tiles": [4, 5]},
    ]


async def test_non_resolvable_key_is_only_a_reference_resolved_elsewhere(world: World) -> None:
    body = await world.query("{ telescopes { name operator { name institute { name } } } }")
    assert body == {
        "data": {
            "telescopes": [
                {
                    "name": "Hale",
                    "operator": {"name": "Vera", "institute": {"name": "Carnegie Institution"}},
                },
                {"name": "Hooker", "operator": None},
            ]
        }
    }
    # registry is never asked to resolve an Astronomer; a null reference is not sent at all.
    assert world.calls() == {"registry": 1, "people": 1}
    assert world.log("people")[0].representations == [{"__typename": "Astronomer", "id": "a1"}]


async def test_null_entity_references_cause_no_fetch(world: World) -> None:
    body = await world.query("{ telescopes { operator { id } } }")
    assert body == {"data": {"telescopes": [{"operator": {"id": "a1"}}, {"operator": None}]}}
    assert world.calls() == {"registry": 1}


async def test_entity_with_a_null_key_value_resolves_to_null_fields(world: World) -> None:
    body = await world.query("{ stars { name parallax } }")
    assert body == {
        "data": {
            "stars": [
                {"name": "Sirius", "parallax": 379.2},
                {"name": "Unnamed Nova", "parallax": None},
                {"name": "Alpha Centauri", "parallax": 754.8},
            ]
        }
    }
    assert world.calls() == {"archive": 1, "scans": 1}
