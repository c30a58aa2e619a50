"""Field authorization (@authenticated, @requiresScopes, @policy) through the gateway's edge."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.auth import Principal
from gateway.edge import create_edge_app

from .edge_helpers import CountingGraphQL, edge_config, edge_gateway, hs256, serve, vault_supergraph

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[tuple[str, CountingGraphQL]]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl), app


@pytest.fixture(scope="module")
async def url(vault: tuple[str, CountingGraphQL]) -> AsyncIterator[str]:
    config = edge_config(
        role_scopes={
            "auditor": ["invoices:read"],
            "treasurer": ["invoices:read", "payments:write"],
            "admin": ["users:read"],
        }
    )
    async with edge_gateway(vault[0], config) as gateway_url:
        yield gateway_url


async def post(url: str, query: str, token: str | None = None, **body: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json={"query": query, **body}, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def error_paths(body: dict[str, Any]) -> list[list[Any]]:
    errors = body.get("errors", [])
    assert all(e["extensions"]["code"] == UNAUTHORIZED for e in errors), errors
    return [e["path"] for e in errors]


async def test_visitor_gets_null_and_an_error_for_an_authenticated_field(url: str) -> None:
    body = await post(url, "{ hello me }")
    assert body["data"] == {"hello": "world", "me": None}
    assert error_paths(body) == [["me"]]


async def test_unauthorized_field_is_never_sent_to_the_subgraph(
    url: str, vault: tuple[str, CountingGraphQL]
) -> None:
    app = vault[1]
    before = app.calls
    body = await post(url, "{ users }")
    assert "data" not in body
    assert error_paths(body) == [["users"]]
    assert app.calls == before


async def test_request_with_only_unauthorized_fields_is_rejected(url: str) -> None:
    body = await post(url, "{ users ledger }", hs256(["customer"]))
    assert "data" not in body
    assert sorted(error_paths(body)) == [["ledger"], ["users"]]


async def test_scope_holder_sees_the_field(url: str) -> None:
    body = await post(url, "{ users }", hs256(["admin"]))
    assert body == {"data": {"users": ["ada", "yuri"]}}


async def test_non_null_unauthorized_field_nulls_its_nearest_nullable_parent(url: str) -> None:
    body = await post(url, "{ hello ledger }", hs256(["customer"]))
    assert body["data"] is None
    assert error_paths(body) == [["ledger"]]


async def test_errors_in_lists_carry_one_path_with_the_list_marker(url: str) -> None:
    body = await post(url, "{ accounts { owner iban } }", hs256(["customer"]))
    assert body["data"] == {"accounts": [{"owner": "Ada", "iban": None}]}
    assert error_paths(body) == [["accounts", "@", "iban"]]


async def test_removed_fields_keep_their_null_next_to_introspection(url: str) -> None:
    query = '{ a: __type(name: "Coin") { name } accounts { iban owner } me }'
    body = await post(url, query)  # a visitor
    assert body["data"] == {
        "a": {"name": "Coin"},
        "accounts": [{"iban": None, "owner": "Ada"}],
        "me": None,
    }
    assert list(body["data"]) == ["a", "accounts", "me"]
    assert list(body["data"]["accounts"][0]) == ["iban", "owner"]
    assert sorted(map(tuple, error_paths(body))) == [("accounts", "@", "iban"), ("me",)]


async def test_requires_scopes_is_an_or_of_and_lists(url: str) -> None:
    query = "{ accounts { owner balance iban } }"
    auditor = await post(url, query, hs256(["auditor"]))  # invoices:read only
    assert auditor["data"] == {"accounts": [{"owner": "Ada", "balance": 100, "iban": None}]}
    assert error_paths(auditor) == [["accounts", "@", "iban"]]
    admin = await post(url, "{ accounts { owner iban } }", hs256(["admin"]))  # users:read
    assert admin == {"data": {"accounts": [{"owner": "Ada", "iban": "DE00"}]}}
    both = await post(url, query, hs256(["treasurer"]))  # invoices:read AND payments:write
    assert both == {"data": {"accounts": [{"owner": "Ada", "balance": 100, "iban": "DE00"}]}}


async def test_unknown_policy_denies(url: str) -> None:
    body = await post(url, "{ accounts { owner note } }", hs256(["admin"]))
    assert body["data"] == {"accounts": [{"owner": "Ada", "note": None}]}
    assert error_paths(body) == [["accounts", "@", "note"]]


async def test_registered_policy_decides_the_field(vault: tuple[str, CountingGraphQL]) -> None:
    def vip(principal: Principal | None) -> bool:
        return principal is not None and "vip" in principal.roles

    app = create_edge_app(vault[0], edge_config(), policies={"vip": vip})
    async with serve(app, lifespan="on") as base:
        query = "{ accounts { owner note } }"
        granted = await post(base + "/graphql", query, hs256(["vip"]))
        assert granted == {"data": {"accounts": [{"owner": "Ada", "note": "hi"}]}}
        denied = await post(base + "/graphql", query, hs256(["customer"]))
        assert denied["data"] == {"accounts": [{"owner": "Ada", "note": None}]}


async def test_interface_selection_without_type_condition_is_filtered_as_a_whole(
    url: str,
) -> None:
    body = await post(url, "{ hello items { id label } }")
    assert body["data"] == {"hello": "world", "items": None}
    assert error_paths(body) == [["items"]]


async def test_type_conditions_are_judged_per_type(url: str) -> None:
    query = "{ items { ... on Coin { id metal } ... on Secret { id code } } }"
    visitor = await post(url, query)
    assert visitor["data"]["items"][0] == {"id": "c1", "metal": "gold"}
    assert error_paths(visitor) == [["items", "@"]]
    customer = await post(url, query, hs256(["customer"]))
    assert customer == {
        "data": {"items": [{"id": "c1", "metal": "gold"}, {"id": "s1", "code": "42"}]}
    }


async def test_named_fragments_and_variables_of_removed_fields_are_dropped(url: str) -> None:
    query = """
      query Q($id: ID!) { hello secretById(id: $id) ...Extra }
      fragment Extra on Query { me accounts { owner iban } }
    """
    body = await post(url, query, variables={"id": "7"}, operationName="Q")
    assert body["data"] == {
        "hello": "world",
        "secretById": None,
        "me": None,
        "accounts": [{"owner": "Ada", "iban": None}],
    }
    assert sorted(error_paths(body)) == [["accounts", "@", "iban"], ["me"], ["secretById"]]
    logged_in = await post(url, query, hs256(["customer"]), variables={"id": "7"})
    assert logged_in["data"]["secretById"] == "secret 7"
    assert logged_in["data"]["me"] == "someone"


async def test_plans_are_never_shared_across_profiles(url: str) -> None:
    query = "{ hello me accounts { owner iban } }"
    for _ in range(2):
        admin = await post(url, query, hs256(["admin"]))
        assert admin["data"] == {
            "hello": "world",
            "me": "someone",
            "accounts": [{"owner": "Ada", "iban": "DE00"}],
        }
        visitor = await post(url, query)
        assert visitor["data"] == {
            "hello": "world",
            "me": None,
            "accounts": [{"owner": "Ada", "iban": None}],
        }


async def test_reject_mode_rejects_any_request_touching_an_unauthorized_field(
    vault: tuple[str, CountingGraphQL],
) -> None:
    async with edge_gateway(vault[0], edge_config(authorization_mode="reject")) as gateway_url:
        body = await post(gateway_url, "{ hello me }")
        assert "data" not in body
        assert error_paths(body) == [["me"]]
        assert (await post(gateway_url, "{ hello }")) == {"data": {"hello": "world"}}


async def test_dry_run_mode_only_reports(vault: tuple[str, CountingGraphQL]) -> None:
    async with edge_gateway(vault[0], edge_config(authorization_mode="dry_run")) as gateway_url:
        body = await post(gateway_url, "{ hello users }")
        assert body == {"data": {"hello": "world", "users": ["ada", "yuri"]}}


async def test_mutation_fields_without_directives_stay_open(url: str) -> None:
    body = await post(url, 'mutation { login(email: "a@b.c") }')
    assert body == {"data": {"login": "token-for-a@b.c"}}


# -- the null of a removed field comes where the query selected it --------------------------------


async def post_raw(url: str, query: str, token: str | None = None, **body: Any) -> dict[str, Any]:
    """The response parsed by ``json.loads`` (dicts keep the order of the keys on the wire)."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json={"query": query, **body}, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = json.loads(response.content)
    return result


async def test_a_removed_root_field_keeps_its_place(url: str) -> None:
    body = await post_raw(url, "{ me hello secretById(id: 1) }")
    assert list(body["data"].keys()) == ["me", "hello", "secretById"]
    assert body["data"] == {"me": None, "hello": "world", "secretById": None}
    assert sorted(error_paths(body)) == [["me"], ["secretById"]]


async def test_removed_fields_keep_their_place_in_list_items_and_under_aliases(url: str) -> None:
    query = "{ accounts { iban owner note id bank: iban memo: note who: owner } hello }"
    body = await post_raw(url, query, hs256(["treasurer"]))  # iban, but no policy for note
    data = body["data"]
    assert list(data.keys()) == ["accounts", "hello"]
    account = data["accounts"][0]
    assert list(account.keys()) == ["iban", "owner", "note", "id", "bank", "memo", "who"]
    assert account == {
        "iban": "DE00",
        "owner": "Ada",
        "note": None,
        "id": "a1",
        "bank": "DE00",
        "memo": None,
        "who": "Ada",
    }
    assert sorted(error_paths(body)) == [["accounts", "@", "memo"], ["accounts", "@", "note"]]
    visitor = (await post_raw(url, "{ accounts { iban owner note } }"))["data"]
    assert list(visitor["accounts"][0].keys()) == ["iban", "owner", "note"]
    assert visitor["accounts"][0] == {"iban": None, "owner": "Ada", "note": None}


async def test_removed_fields_keep_their_place_through_fragments(url: str) -> None:
    query = """
      query Q { hello ...Top accounts { ... on Account { note } ...Money id } }
      fragment Top on Query { me }
      fragment Money on Account { balance owner iban }
    """
    auditor = await post_raw(url, query, hs256(["auditor"]), operationName="Q")
    assert list(auditor["data"].keys()) == ["hello", "me", "accounts"]
    account = auditor["data"]["accounts"][0]
    assert list(account.keys()) == ["note", "balance", "owner", "iban", "id"]
    assert account == {"note": None, "balance": 100, "owner": "Ada", "iban": None, "id": "a1"}


async def test_a_field_left_without_selection_keeps_its_place(url: str) -> None:
    body = await post_raw(url, "{ items { ... on Secret { code } } hello }")
    assert list(body["data"].keys()) == ["items", "hello"]
    assert body["data"] == {"items": None, "hello": "world"}


async def test_skipped_removed_fields_stay_out_and_included_ones_keep_their_place(
    url: str,
) -> None:
    query = "query Q($x: Boolean!) { me @include(if: $x) hello }"
    shown = await post_raw(url, query, variables={"x": True})
    assert list(shown["data"].keys()) == ["me", "hello"]
    assert shown["data"] == {"me": None, "hello": "world"}
    skipped = await post_raw(url, query, variables={"x": False})
    assert skipped["data"] == {"hello": "world"}
    again = await post_raw(url, query, variables={"x": True})  # plans per condition value
    assert list(again["data"].keys()) == ["me", "hello"]
