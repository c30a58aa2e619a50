"""Conformance: `@shareable` root fields deep-merged across subgraphs, and `@override`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.compose import Subgraph, compose

from .conformance.harness import World, serve
from .conformance.shared import SCHEMAS

_NICKNAME = "nickname: String! @join__field(graph: OPS)"


def _supergraph(urls: dict[str, str]) -> str:
    """The composed supergraph, keeping `override: "ghost"` the way Apollo's composer does
    (it only hints that no subgraph is called ghost)."""
    sdl = compose([Subgraph(name, urls[name], schema.as_str()) for name, schema in SCHEMAS.items()])
    assert _NICKNAME in sdl
    return sdl.replace(_NICKNAME, _NICKNAME[:-1] + ', override: "ghost")')


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS, _supergraph) as w:
        yield w


async def test_shareable_root_field_merges_value_types_from_two_subgraphs(world: World) -> None:
    body = await world.query(
        '{ conditions(site: "summit") { temperature seeing wind { speed direction } } }'
    )
    assert body == {
        "data": {
            "conditions": {
                "temperature": -3.5,
                "seeing": 0.6,
                "wind": {"speed": 8.2, "direction": "NW"},
            }
        }
    }
    assert world.calls() == {"meteo": 1, "sky": 1}


async def test_shareable_root_field_asks_only_the_subgraph_needed(world: World) -> None:
    body = await world.query('{ conditions(site: "valley") { temperature wind { speed } } }')
    assert body == {"data": {"conditions": {"temperature": 12.0, "wind": {"speed": 8.2}}}}
    assert world.calls() == {"meteo": 1}
    body = await world.query('{ conditions(site: "valley") { seeing wind { direction } } }')
    assert body == {"data": {"conditions": {"seeing": 1.4, "wind": {"direction": "NW"}}}}
    assert world.calls() == {"sky": 1}


async def test_aliased_shareable_root_fields_keep_their_arguments(world: World) -> None:
    body = await world.query(
        '{ a: conditions(site: "summit") { temperature seeing } b: conditions(site: "valley") { seeing } }'
    )
    assert body == {"data": {"a": {"temperature": -3.5, "seeing": 0.6}, "b": {"seeing": 1.4}}}


async def test_overridden_field_is_served_by_the_new_owner(world: World) -> None:
    body = await world.query("{ legacyTelescopes { aperture status } }")
    assert body == {"data": {"legacyTelescopes": [{"aperture": 2.5, "status": "operational"}]}}
    assert world.calls() == {"legacy": 1, "ops": 1}
    assert "status" not in world.log("legacy")[0].query


async def test_overriding_subgraph_needs_no_jump_for_its_own_field(world: World) -> None:
    body = await world.query("{ onDuty { status } }")
    assert body == {"data": {"onDuty": [{"status": "operational"}]}}
    assert world.calls() == {"ops": 1}


async def test_override_from_an_unknown_subgraph_is_ignored(world: World) -> None:
    body = await world.query("{ legacyTelescopes { nickname } onDuty { nickname } }")
    assert body == {
        "data": {
            "legacyTelescopes": [{"nickname": "Old Faithful"}],
            "onDuty": [{"nickname": "Old Faithful"}],
        }
    }
    assert world.calls() == {"legacy": 1, "ops": 2}
