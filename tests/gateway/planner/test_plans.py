"""Plan snapshots, one per federation feature: the plan a feature gives, as readable text.

A planner change that alters a plan fails here with a diff; if the new plan is intended,
rewrite the snapshots with ``ASTRO_UPDATE_SNAPSHOTS=1`` and review their diff.
"""

from __future__ import annotations

import os

import pytest

from . import supergraphs
from .snapshot import assert_plans_match_snapshot


def test_a_field_of_another_subgraph_is_fetched_by_an_entity_jump_on_its_key() -> None:
    assert_plans_match_snapshot(
        "entity_jump",
        supergraphs.entity_jump(),
        [("{ me { name reviews { body product { name price } } } }", {})],
    )


def test_root_fields_of_different_subgraphs_are_fetched_in_parallel() -> None:
    assert_plans_match_snapshot(
        "parallel_roots",
        supergraphs.entity_jump(),
        [("{ me { name } topProducts { name } }", {})],
    )


def test_requires_fields_are_fetched_before_the_entity_fetch_that_needs_them() -> None:
    assert_plans_match_snapshot(
        "requires",
        supergraphs.requires(),
        [
            ("{ topProducts { name shippingEstimate } }", {}),
            ("{ topProducts { shippingEstimate } }", {}),
        ],
    )


def test_a_provided_field_is_fetched_with_its_parent_and_others_by_a_jump() -> None:
    assert_plans_match_snapshot(
        "provides",
        supergraphs.provides(),
        [
            ("{ reviews { body author { username } } }", {}),
            ("{ reviews { author { username birthday } } }", {}),
        ],
    )


def test_an_interface_object_gets_representations_of_the_interface() -> None:
    assert_plans_match_snapshot(
        "interface_object",
        supergraphs.interface_object(),
        [
            ("{ media { title stars } }", {}),
            ("{ topRated { stars ... on Book { pages } } }", {}),
            ("{ topRated { __typename stars } }", {}),
        ],
    )


def test_a_union_member_of_another_subgraph_is_fetched_per_runtime_type() -> None:
    assert_plans_match_snapshot(
        "union",
        supergraphs.abstract_types(),
        [("{ search { ... on Rocket { name thrust } ... on Rover { wheels } } }", {})],
    )


def test_interface_fields_are_fetched_per_implementation() -> None:
    assert_plans_match_snapshot(
        "interface",
        supergraphs.abstract_types(),
        [("{ vehicles { name ... on Rocket { thrust } ... on Rover { wheels } } }", {})],
    )


def test_mutation_root_fields_run_in_sequence_in_the_order_asked() -> None:
    assert_plans_match_snapshot(
        "mutations",
        supergraphs.mutations(),
        [
            (
                "mutation ($flight: ID!) {"
                " first: book(flight: $flight) { id flight { name } }"
                ' pay(booking: "b1") { amount }'
                " second: book(flight: $flight) { id } }",
                {"flight": "f1"},
            )
        ],
    )


def test_skip_and_include_are_planned_per_value_of_their_variables() -> None:
    query = (
        "query ($reviews: Boolean!, $noName: Boolean!) {"
        " me { name @skip(if: $noName) reviews @include(if: $reviews) { body } } }"
    )
    assert_plans_match_snapshot(
        "skip_include",
        supergraphs.entity_jump(),
        [
            (query, {"reviews": True, "noName": False}),
            (query, {"reviews": False, "noName": False}),
            (query, {"reviews": False, "noName": True}),
        ],
    )


def test_a_key_the_target_does_not_share_is_reached_through_a_key_chain() -> None:
    assert_plans_match_snapshot(
        "key_chain", supergraphs.key_chain(), [("{ me { name unread } }", {})]
    )


def test_a_required_field_with_arguments_gets_its_own_data_key() -> None:
    assert_plans_match_snapshot(
        "requires_with_arguments",
        supergraphs.requires_with_arguments(),
        [('{ topProducts { price(currency: "EUR") tax } }', {})],
    )


def test_a_shareable_root_field_is_asked_again_for_value_fields_only_another_resolves() -> None:
    assert_plans_match_snapshot(
        "shared_root",
        supergraphs.shared_root(),
        [("{ station { name temperature pollen } }", {})],
    )


def test_an_overridden_field_is_fetched_from_its_new_owner() -> None:
    assert_plans_match_snapshot(
        "override", supergraphs.override(), [("{ flights { code status } }", {})]
    )


@pytest.mark.skipif(
    os.environ.get("ASTRO_UPDATE_SNAPSHOTS") == "1", reason="would rewrite the snapshot"
)
def test_a_changed_plan_fails_with_a_diff_of_the_snapshot() -> None:
    with pytest.raises(AssertionError, match=r"(?s)the plan changed:.*-.*\+"):
        assert_plans_match_snapshot(
            "entity_jump", supergraphs.entity_jump(), [("{ me { name } }", {})]
        )
