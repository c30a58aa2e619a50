"""The role → scopes table: built in, or configured with ``ASTRO_ROLE_SCOPES``; tokens carry and
verification derives the scopes of the table in effect."""

from __future__ import annotations

import json

import jwt
import pytest

from astro.identity import (
    ROLE_SCOPES,
    issue_access_token,
    role_scopes,
    scopes_for,
    verify_access_token,
)
from astro.settings import Settings

SECRET = "identity-test-secret-0123456789abcdef"


def test_the_built_in_table_is_in_effect_without_a_setting() -> None:
    assert role_scopes(Settings(jwt_secret=SECRET)) == ROLE_SCOPES


def test_scopes_for_unions_the_roles_scopes_and_ignores_unknown_roles() -> None:
    assert scopes_for(["finance", "nobody"]) == tuple(sorted(ROLE_SCOPES["finance"]))
    assert scopes_for([]) == ()


def test_the_table_comes_from_astro_role_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"auditor": ["invoices:read", "reports:read"], "customer": ["bookings:own"]}
    monkeypatch.setenv("ASTRO_ROLE_SCOPES", json.dumps(table))

    settings = Settings(jwt_secret=SECRET)

    assert role_scopes(settings) == {
        "auditor": ("invoices:read", "reports:read"),
        "customer": ("bookings:own",),
    }


def test_a_token_carries_and_verifies_to_the_scopes_of_the_configured_table() -> None:
    settings = Settings(jwt_secret=SECRET, role_scopes={"auditor": ["reports:read"]})

    token = issue_access_token(settings, sub="u1", email="a@example.com", roles=["auditor"])
    claims = jwt.decode(token, options={"verify_signature": False})
    identity = verify_access_token(settings, token)

    assert claims["scope"] == "reports:read"
    assert identity.scopes == ("reports:read",)
    assert identity.has_scope("reports:read") and not identity.has_scope("invoices:read")


def test_verification_derives_scopes_from_the_table_now_not_from_the_scope_claim() -> None:
    before = Settings(jwt_secret=SECRET)
    token = issue_access_token(before, sub="u1", email="f@example.com", roles=["finance"])
    after = Settings(jwt_secret=SECRET, role_scopes={"finance": ["reports:read"]})

    assert verify_access_token(after, token).scopes == ("reports:read",)
