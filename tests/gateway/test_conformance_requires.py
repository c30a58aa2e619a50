"""Conformance: `@requires` chains, cycles, fragments on interface fields, field arguments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .conformance.harness import World, serve
from .conformance.requires import SCHEMAS


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS) as w:
        yield w


async def test_requires_chain_crosses_three_subgraphs_in_order(world: World) -> None:
    # snr (quality) requires flux (photometry), which requires exposureSeconds (observations).
    body = await world.query("{ observations { id snr } }")
    assert body == {
        "data": {"observations": [{"id": "o1", "snr": 34.64}, {"id": "o2", "snr": 42.43}]}
    }
    assert world.calls() == {"observations": 1, "photometry": 1, "quality": 1}
    assert world.log("photometry")[0].representations == [
        {"__typename": "Observation", "id": "o1", "exposureSeconds": 120},
        {"__typename": "Observation", "id": "o2", "exposureSeconds": 600},
    ]
    assert world.log("quality")[0].representations == [
        {"__typename": "Observation", "id": "o1", "flux": 1200},
        {"__typename": "Observation", "id": "o2", "flux": 1800},
    ]


async def test_requires_cycle_goes_back_to_the_first_subgraph(world: World) -> None:
    # calibrated (observations) requires flux (photometry), which requires exposureSeconds
    # (observations): observations is called a second time, after photometry.
    body = await world.query("{ observations { calibrated exposureSeconds } }")
    assert body == {
        "data": {
            "observations": [
                {"calibrated": 600.0, "exposureSeconds": 120},
                {"calibrated": 900.0, "exposureSeconds": 600},
            ]
        }
    }
    assert world.calls() == {"observations": 2, "photometry": 1}
    assert world.log("observations")[1].representations == [
        {"__typename": "Observation", "id": "o1", "flux": 1200},
        {"__typename": "Observation", "id": "o2", "flux": 1800},
    ]


async def test_requires_with_inline_fragments_on_an_interface_field(world: World) -> None:
    body = await world.query("{ observations { difficulty } }")
    assert body == {
        "data": {
            "observations": [
                {"difficulty": "star of magnitude 4.5"},
                {"difficulty": "galaxy at redshift 0.25"},
            ]
        }
    }
    assert world.calls() == {"observations": 1, "scheduler": 1}
    assert world.log("scheduler")[0].representations == [
        {
            "__typename": "Observation",
            "id": "o1",
            "target": {"__typename": "Star", "magnitude": 4.5},
        },
        {
            "__typename": "Observation",
            "id": "o2",
            "target": {"__typename": "Galaxy", "redshift": 0.25},
        },
    ]


async def test_required_fields_never_leak_into_the_user_selection(world: World) -> None:
    body = await world.query(
        "{ observations { target { id ... on Star { m: magnitude } } difficulty } }"
    )
    assert body == {
        "data": {
            "observations": [
                {"target": {"id": "s1", "m": 4.5}, "difficulty": "star of magnitude 4.5"},
                {"target": {"id": "g1"}, "difficulty": "galaxy at redshift 0.25"},
            ]
        }
    }


async def test_required_field_with_arguments_does_not_clash_with_the_user_selection(
    world: World,
) -> None:
    # The user asks duration in minutes; cost requires it in hours.
    body = await world.query('{ observations { duration(unit: "MINUTES") cost } }')
    assert body == {
        "data": {
            "observations": [
                {"duration": 90.0, "cost": 150.0},
                {"duration": 30.0, "cost": 50.0},
            ]
        }
    }
    assert world.calls() == {"observations": 1, "billing": 1}
    assert [r["duration"] for r in world.log("billing")[0].representations] == [1.5, 0.5]


async def test_two_requires_of_one_field_with_different_arguments_stay_apart(
    world: World,
) -> None:
    query = '{ observations { cost overhead inSeconds: duration(unit: "SECONDS") } }'
    body = await world.query(query)
    assert body == {
        "data": {
            "observations": [
                {"cost": 150.0, "overhead": "5400 s", "inSeconds": 5400.0},
                {"cost": 50.0, "overhead": "1800 s", "inSeconds": 1800.0},
            ]
        }
    }
    assert world.calls()["observations"] == 1
    sent = sorted(r["duration"] for call in world.log("billing") for r in call.representations)
    assert sent == [0.5, 1.5, 1800.0, 5400.0]
