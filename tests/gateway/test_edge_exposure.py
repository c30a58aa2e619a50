"""What a stranger learns from the edge: no schema names through suggestions when introspection
is off, no credentialed CORS for any origin, metrics and the console not public in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from .edge_helpers import CountingGraphQL, edge_config, edge_gateway, serve, vault_supergraph

TOKEN = "metrics-token-0123456789"


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[str]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl)


async def _get(url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, **kwargs)


async def _post(url: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(url, json=body, **kwargs)


async def test_without_introspection_errors_suggest_no_field_names(vault: str) -> None:
    async with edge_gateway(vault, edge_config(introspection=False)) as closed:
        hidden = (await _post(closed, {"query": "{ helo }"})).json()
    async with edge_gateway(vault, edge_config(introspection=True)) as open_:
        shown = (await _post(open_, {"query": "{ helo }"})).json()
    assert hidden["errors"][0]["message"] == "Cannot query field 'helo' on type 'Query'."
    assert "Did you mean 'hello'?" in shown["errors"][0]["message"]


async def test_any_origin_never_gets_credentials(vault: str) -> None:
    config = edge_config(cors_origins=["*", "https://app.example"], cors_allow_credentials=True)
    async with edge_gateway(vault, config) as url:
        stranger = await _post(
            url, {"query": "{ hello }"}, headers={"origin": "https://evil.example"}
        )
        named = await _post(url, {"query": "{ hello }"}, headers={"origin": "https://app.example"})
    assert stranger.headers["access-control-allow-origin"] == "https://evil.example"
    assert "access-control-allow-credentials" not in stranger.headers
    assert named.headers["access-control-allow-credentials"] == "true"


async def test_production_serves_metrics_only_with_the_token(vault: str) -> None:
    async with edge_gateway(vault, edge_config(mode="production")) as url:
        without = await _get(url.removesuffix("/graphql") + "/metrics")
    config = edge_config(mode="production", metrics_token=TOKEN)
    async with edge_gateway(vault, config) as url:
        metrics = url.removesuffix("/graphql") + "/metrics"
        anonymous = await _get(metrics)
        wrong = await _get(metrics, headers={"authorization": "Bearer nope"})
        allowed = await _get(metrics, headers={"authorization": f"Bearer {TOKEN}"})
    assert without.status_code == 404
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert allowed.status_code == 200 and "astro_gateway_requests_total" in allowed.text


async def test_production_serves_no_console_by_default(vault: str) -> None:
    page = {"accept": "text/html"}
    async with edge_gateway(vault, edge_config(mode="production")) as url:
        production = await _get(url, headers=page)
    async with edge_gateway(vault, edge_config()) as url:
        dev = await _get(url, headers=page)
    assert "<html" not in production.text.lower()
    assert "<html" in dev.text.lower()
