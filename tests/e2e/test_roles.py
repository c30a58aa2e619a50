"""Every role against every protected field, through the real platform's gateway.

A cell is "allowed" when the field comes back without an authorization error, "denied" when the
gateway removes it: the request (the field alone) is rejected with ``UNAUTHORIZED_FIELD_OR_TYPE``
at the field's path and no subgraph is asked.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Gateway

PASSWORD = "Astro-Demo-2026!"
ROLES = ("visitor", "customer", "vip", "supplier", "finance", "it", "admin")
EVERYONE_LOGGED_IN = {"customer", "vip", "supplier", "finance", "it", "admin"}

#: field → (query selecting it alone, the roles that may read it)
MATRIX: dict[str, tuple[str, set[str]]] = {
    "me": ("{ me { id email } }", EVERYONE_LOGGED_IN),
    "users": ("{ users(first: 1) { nodes { id } } }", {"admin"}),
    "myBookings": ("{ myBookings { nodes { id } } }", {"customer", "vip"}),
    "customerProfile": ("{ customerProfile { id } }", {"customer", "vip"}),
    "mySupplier": ("{ mySupplier { id } }", {"supplier"}),
    "rockets": ("{ rockets { id } }", {"supplier"}),
    "supplierLaunches": ("{ supplierLaunches { id } }", {"supplier"}),
    "supplierBookings": (
        "{ supplierBookings(first: 1) { pageInfo { hasNextPage } } }",
        {"supplier"},
    ),
    "financeLaunches": ("{ financeLaunches(first: 1) { nodes { id } } }", {"finance", "admin"}),
    "ledgerBookings": ("{ ledgerBookings(first: 1) { nodes { id } } }", {"finance", "admin"}),
    "invoices": ("{ invoices(first: 1) { nodes { id } } }", {"finance"}),
    "payments": ("{ payments(first: 1) { nodes { id } } }", {"finance"}),
    "refunds": ("{ refunds(first: 1) { nodes { id } } }", {"finance"}),
    "launchReport": ("{ launchReport { launchId } }", {"finance"}),
    "supplierReport": ("{ supplierReport { supplierId } }", {"finance"}),
    "myNotifications": (
        "{ myNotifications(first: 1) { nodes { id status } } }",
        EVERYONE_LOGGED_IN,
    ),
    "notifications": (
        "{ notifications(first: 1) { nodes { id status attempts { ok } } } }",
        {"it"},
    ),
    "logs": ("{ logs(first: 1) { nodes { at level message } } }", {"it", "admin"}),
}

_tokens: dict[str, str | None] = {}


def token_for(platform: Gateway, role: str) -> str | None:
    if role == "visitor":
        return None
    if role not in _tokens:
        _tokens[role] = platform.login(f"{role}@astrobookings.dev", PASSWORD)
    return _tokens[role]


def _codes(body: dict[str, Any]) -> set[str]:
    return {str((e.get("extensions") or {}).get("code")) for e in body.get("errors", [])}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", list(MATRIX))
def test_role_against_protected_field(platform: Gateway, role: str, field: str) -> None:
    query, allowed = MATRIX[field]
    body = platform.post(query, token=token_for(platform, role))
    if role in allowed:
        assert not _codes(body) & {"UNAUTHORIZED_FIELD_OR_TYPE", "UNAUTHENTICATED", "FORBIDDEN"}, (
            role,
            field,
            body,
        )
        assert body.get("data") is not None, body
    else:
        assert "UNAUTHORIZED_FIELD_OR_TYPE" in _codes(body), (role, field, body)
        assert "data" not in body or body["data"] is None, body


@pytest.mark.parametrize("role", ROLES)
def test_role_against_resend_notification(platform: Gateway, role: str) -> None:
    # An id no notification has: IT passes the gateway and the subgraph answers NOT_FOUND;
    # everyone else is stopped at the gateway.
    body = platform.post(
        'mutation { resendNotification(id: "no-such-notification") { id } }',
        token=token_for(platform, role),
    )
    if role == "it":
        assert _codes(body) == {"NOT_FOUND"}, body
    else:
        assert "UNAUTHORIZED_FIELD_OR_TYPE" in _codes(body), (role, body)
        assert "data" not in body or body["data"] is None, body


def test_visitor_reads_the_public_catalog(platform: Gateway) -> None:
    body = platform.post("{ launches(first: 2) { id slug pricePerSeat seatsLeft } }")
    assert "errors" not in body, body
    assert isinstance(body["data"]["launches"], list)


def test_customer_gets_null_and_an_error_for_launch_figures_beside_public_data(
    platform: Gateway,
) -> None:
    body = platform.post(
        "{ launches(first: 1) { id } me { email } }",
        token=token_for(platform, "customer"),
    )
    assert "errors" not in body, body
    launch_id = body["data"]["launches"][0]["id"]
    mixed = platform.post(
        "query($id: ID!) { me { email } launch(id: $id) { id figures { seatsSold } } }",
        {"id": launch_id},
        token=token_for(platform, "customer"),
    )
    # figures is non-null: its null takes the (nullable) launch with it
    assert mixed["data"] == {"me": {"email": "customer@astrobookings.dev"}, "launch": None}
    paths = [e["path"] for e in mixed["errors"]]
    assert paths == [["launch", "figures"]]
    assert _codes(mixed) == {"UNAUTHORIZED_FIELD_OR_TYPE"}


def test_supplier_sees_launch_figures(platform: Gateway) -> None:
    body = platform.post(
        "{ supplierLaunches { id figures { seatsSold } } }", token=token_for(platform, "supplier")
    )
    assert "errors" not in body, body
