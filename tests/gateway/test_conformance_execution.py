"""Conformance: @skip/@include (no fetch for skipped fields), serial mutations across
subgraphs, spec null propagation, subgraph errors re-pathed, internal fields never leaking."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .conformance.execution import QUEUE, SCHEMAS
from .conformance.harness import World, serve


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with serve(SCHEMAS) as w:
        yield w


# -- @skip / @include ------------------------------------------------------------------------

_FLUX_IF = 'query ($withFlux: Boolean = false) { observation(id: "o1") { target flux @include(if: $withFlux) } }'


async def test_field_excluded_by_a_variable_default_causes_no_fetch(world: World) -> None:
    body = await world.query(_FLUX_IF)  # no variables sent: the default applies
    assert body == {"data": {"observation": {"target": "M31"}}}
    assert world.calls() == {"logbook": 1}
    # Not even the field flux @requires is fetched.
    assert "exposureSeconds" not in world.log("logbook")[0].query


async def test_field_included_by_a_variable_is_fetched_with_its_requirements(
    world: World,
) -> None:
    body = await world.query(_FLUX_IF, {"withFlux": True})
    assert body == {"data": {"observation": {"target": "M31", "flux": 1200}}}
    assert world.calls() == {"logbook": 1, "pipeline": 1}


async def test_skipped_fragments_cause_no_fetch(world: World) -> None:
    query = """query ($skip: Boolean = true) {
      observation(id: "o1") { target ... @skip(if: $skip) { grade } ...Flux @skip(if: $skip) }
    }
    fragment Flux on Observation { flux }"""
    body = await world.query(query)
    assert body == {"data": {"observation": {"target": "M31"}}}
    assert world.calls() == {"logbook": 1}
    body = await world.query(query, {"skip": False})
    assert body == {"data": {"observation": {"target": "M31", "grade": "A", "flux": 1200}}}
    assert world.calls() == {"logbook": 1, "pipeline": 1, "review": 1}


async def test_literal_skip_and_include(world: World) -> None:
    query = '{ observation(id: "o1") { target @skip(if: true) grade @include(if: false) id } }'
    body = await world.query(query)
    assert body == {"data": {"observation": {"id": "o1"}}}
    assert world.calls() == {"logbook": 1}


# -- mutations -------------------------------------------------------------------------------


async def test_mutations_run_serially_in_document_order_across_subgraphs(world: World) -> None:
    QUEUE.reset()
    body = await world.query(
        """mutation {
          a: enqueue(target: "M31") { id position archived }
          b: enqueue(target: "M42") { position }
          flushed: flush
          c: enqueue(target: "M1") { id position archived }
          again: flush
        }"""
    )
    # `archived` is an entity field of another subgraph, fetched right after its mutation:
    # the later flush must not be visible in a's answer.
    assert body == {
        "data": {
            "a": {"id": "r1", "position": 1, "archived": False},
            "b": {"position": 2},
            "flushed": 2,
            "c": {"id": "r3", "position": 1, "archived": False},
            "again": 1,
        }
    }
    assert QUEUE.archived == {"r1", "r2", "r3"}
    # logbook, pipeline (entities), pipeline (flush), logbook, pipeline (entities), pipeline
    assert world.calls() == {"logbook": 2, "pipeline": 4}


async def test_identical_mutation_fields_each_run(world: World) -> None:
    QUEUE.reset()
    body = await world.query(
        'mutation { x: enqueue(target: "M8") { position } y: enqueue(target: "M8") { position } }'
    )
    assert body == {"data": {"x": {"position": 1}, "y": {"position": 2}}}
    assert QUEUE.pending == ["r1", "r2"]


async def test_follow_up_fetch_after_a_mutation_sees_its_effect(world: World) -> None:
    QUEUE.reset()
    await world.query('mutation { enqueue(target: "M13") { id } }')
    body = await world.query('mutation { flushed: flush e: enqueue(target: "M57") { archived } }')
    assert body == {"data": {"flushed": 1, "e": {"archived": False}}}
    assert QUEUE.archived == {"r1"}


# -- null propagation and errors -------------------------------------------------------------


async def test_null_in_non_null_field_nulls_the_nearest_nullable_parent(world: World) -> None:
    body = await world.query('{ observation(id: "o2") { target grade } }')
    assert body == {
        "data": {"observation": None},
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Observation.grade.",
                "path": ["observation", "grade"],
            }
        ],
    }


async def test_null_in_a_list_of_nullable_items_nulls_only_that_item(world: World) -> None:
    body = await world.query("{ logbook { id grade } }")
    assert body["data"] == {
        "logbook": [{"id": "o1", "grade": "A"}, None, {"id": "o3", "grade": "B"}]
    }
    assert [e["path"] for e in body["errors"]] == [["logbook", 1, "grade"]]


async def test_null_in_a_list_of_non_null_items_nulls_the_list(world: World) -> None:
    body = await world.query("{ observations { id grade } reviewers }")
    assert body["data"] == {"observations": None, "reviewers": ["Henrietta"]}
    assert [e["path"] for e in body["errors"]] == [["observations", 1, "grade"]]


async def test_entity_errors_are_repathed_under_the_response_path(world: World) -> None:
    body = await world.query("{ observations { id flux } }")
    assert body["data"] == {
        "observations": [
            {"id": "o1", "flux": 1200},
            {"id": "o2", "flux": 600},
            {"id": "o3", "flux": None},
        ]
    }
    assert [(e["message"], e["path"]) for e in body["errors"]] == [
        ("detector saturated", ["observations", 2, "flux"])
    ]
    assert body["errors"][0]["extensions"]["serviceName"] == "pipeline"


async def test_root_field_errors_keep_their_path(world: World) -> None:
    body = await world.query(
        '{ a: observation(id: "o9") { target } b: observation(id: "o1") { target } }'
    )
    assert body["data"] == {"a": None, "b": {"target": "M31"}}
    assert [(e["message"], e["path"]) for e in body["errors"]] == [("No observation o9", ["a"])]


async def test_internal_keys_typenames_and_required_fields_never_leak(world: World) -> None:
    # flux needs __typename, the id key and exposureSeconds behind the scenes; the user's own
    # alias "id" must not collide with the key either.
    body = await world.query('{ observation(id: "o1") { id: target flux } logbook { grade } }')
    assert body == {
        "data": {
            "observation": {"id": "M31", "flux": 1200},
            "logbook": [{"grade": "A"}, None, {"grade": "B"}],
        },
        "errors": body["errors"],
    }
    assert [e["path"] for e in body["errors"]] == [["logbook", 1, "grade"]]
