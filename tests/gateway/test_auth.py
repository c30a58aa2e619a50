"""Token verification at the gateway's edge, over real HTTP with real JWTs."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from .edge_helpers import (
    SECRET,
    CountingGraphQL,
    Keys,
    claims,
    edge_config,
    edge_gateway,
    hs256,
    serve,
    vault_supergraph,
)

ME = {"query": "{ me }"}


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[tuple[str, CountingGraphQL]]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl), app


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("jwks"))


@pytest.fixture(scope="module")
async def url(vault: tuple[str, CountingGraphQL], keys: Keys) -> AsyncIterator[str]:
    config = edge_config(
        jwks_path=keys.path, jwks_min_refresh_seconds=0, role_scopes={"admin": ["users:read"]}
    )
    async with edge_gateway(vault[0], config) as gateway_url:
        yield gateway_url


async def post(url: str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient() as client:
        return await client.post(url, json=body, headers=headers)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body


async def test_valid_hs256_token_is_accepted(url: str) -> None:
    response = await post(url, ME, hs256(["customer"]))
    assert response.status_code == 200
    assert response.json() == {"data": {"me": "someone"}}


async def test_request_without_token_is_a_visitor(url: str) -> None:
    response = await post(url, {"query": "{ hello me }"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"hello": "world", "me": None}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


async def test_expired_token_is_rejected_with_401(url: str) -> None:
    assert_unauthenticated(await post(url, ME, hs256(["customer"], exp=1_000_000)))


async def test_token_not_yet_valid_is_rejected_with_401(url: str) -> None:
    future = int(__import__("time").time()) + 3600
    assert_unauthenticated(await post(url, ME, hs256(["customer"], nbf=future)))


async def test_forged_token_signed_with_another_secret_is_rejected_with_401(url: str) -> None:
    assert_unauthenticated(await post(url, ME, hs256(["admin"], secret="not-the-secret" * 4)))


async def test_token_with_tampered_claims_is_rejected_with_401(url: str) -> None:
    header, _payload, signature = hs256(["customer"]).split(".")
    tampered = f"{header}.{_b64(claims(['admin']))}.{signature}"
    assert_unauthenticated(await post(url, ME, tampered))


async def test_alg_none_token_is_rejected_with_401(url: str) -> None:
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(['admin']))}."
    assert_unauthenticated(await post(url, ME, token))


async def test_malformed_token_is_rejected_with_401(url: str) -> None:
    assert_unauthenticated(await post(url, ME, "not-a-jwt"))


async def test_non_bearer_authorization_is_rejected_with_401(url: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json=ME, headers={"authorization": "Basic YTpi"})
    assert_unauthenticated(response)


async def test_wrong_issuer_and_audience_are_rejected_with_401(url: str) -> None:
    assert_unauthenticated(await post(url, ME, hs256(["customer"], iss="someone-else")))
    assert_unauthenticated(await post(url, ME, hs256(["customer"], aud="another-api")))


async def test_rs256_token_from_the_jwks_is_accepted(url: str, keys: Keys) -> None:
    response = await post(url, {"query": "{ users }"}, keys.rs256(["admin"]))
    assert response.json() == {"data": {"users": ["ada", "yuri"]}}


async def test_es256_token_from_the_jwks_is_accepted(url: str, keys: Keys) -> None:
    response = await post(url, ME, keys.es256(["customer"]))
    assert response.json() == {"data": {"me": "someone"}}


async def test_hs256_token_signed_with_the_public_rsa_key_is_rejected(url: str, keys: Keys) -> None:
    # Algorithm confusion: an HMAC over the public key (as a client could compute it).
    from cryptography.hazmat.primitives import serialization

    public_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    body = _b64(claims(["admin"]))
    import hashlib
    import hmac

    sig = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
    assert_unauthenticated(await post(url, ME, token))


async def test_es256_token_naming_the_rsa_key_is_rejected(url: str, keys: Keys) -> None:
    assert_unauthenticated(await post(url, ME, keys.es256(["customer"], kid="rsa-1")))


async def test_rs256_token_with_an_unknown_kid_is_rejected(url: str, keys: Keys) -> None:
    assert_unauthenticated(await post(url, ME, keys.rs256(["customer"], kid="rsa-404")))


async def test_rotated_key_is_picked_up_on_unknown_kid(url: str, keys: Keys) -> None:
    token = keys.rs256(["customer"], kid="rsa-2")
    assert_unauthenticated(await post(url, ME, token))
    keys.publish(["rsa-1", "ec-1", "rsa-2"])
    try:
        response = await post(url, ME, token)
        assert response.json() == {"data": {"me": "someone"}}
    finally:
        keys.publish(["rsa-1", "ec-1"])


async def test_external_token_reaches_subgraphs_as_a_gateway_signed_token(
    url: str, keys: Keys
) -> None:
    query = {"query": '{ echoHeader(name: "authorization") }'}
    response = await post(url, query, keys.rs256(["finance"]))
    forwarded = response.json()["data"]["echoHeader"]
    assert forwarded.startswith("Bearer ")
    decoded = jwt.decode(
        forwarded.removeprefix("Bearer "), SECRET, algorithms=["HS256"], audience="astrobookings"
    )
    assert decoded["sub"] == "u-1" and decoded["roles"] == ["finance"]


async def test_hs256_token_is_forwarded_as_is(url: str) -> None:
    token = hs256(["customer"])
    response = await post(url, {"query": '{ echoHeader(name: "authorization") }'}, token)
    assert response.json()["data"]["echoHeader"] == f"Bearer {token}"


async def test_required_authentication_rejects_visitors(
    vault: tuple[str, CountingGraphQL], tmp_path: Path
) -> None:
    async with edge_gateway(vault[0], edge_config(require_authentication=True)) as gateway_url:
        assert_unauthenticated(await post(gateway_url, {"query": "{ hello }"}))
        ok = await post(gateway_url, {"query": "{ hello }"}, hs256(["customer"]))
        assert ok.json() == {"data": {"hello": "world"}}
