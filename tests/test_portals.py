"""The portals share the gateway's origin: each app under its path, the gateway's paths untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from astroctl.portals import WithPortals, portals_found
from gateway.app import create_app
from gateway.config import GatewayConfig
from tests.serving import serve

SUPERGRAPH = Path(__file__).resolve().parent.parent / "schema" / "supergraph.graphql"


def _build(dist: Path, folder: str, title: str) -> None:
    browser = dist / folder / "browser"
    browser.mkdir(parents=True)
    (browser / "index.html").write_text(f"<title>{title}</title>")
    (browser / "main-ABC123.js").write_text(f"console.log('{title}')")


@pytest.fixture
async def origin(tmp_path: Path) -> AsyncIterator[str]:
    _build(tmp_path, "customer", "Customer")
    _build(tmp_path, "supplier", "Supplier")
    gateway = create_app(SUPERGRAPH.read_text(), GatewayConfig())
    async with serve(WithPortals(gateway, tmp_path)) as url:
        yield url


async def test_each_portal_is_served_under_its_path_with_client_routes(origin: str) -> None:
    async with httpx.AsyncClient(base_url=origin) as http:
        home = await http.get("/")
        deep = await http.get("/launches/some-slug")  # a client-side route
        supplier = await http.get("/supplier/launches/42")
        bundle = await http.get("/supplier/main-ABC123.js")
    assert "<title>Customer</title>" in home.text
    assert "<title>Customer</title>" in deep.text
    assert home.headers["cache-control"] == "no-cache"
    assert "<title>Supplier</title>" in supplier.text
    assert bundle.text == "console.log('Supplier')"
    assert "immutable" in bundle.headers["cache-control"]


async def test_a_portal_path_without_its_slash_redirects_to_it(origin: str) -> None:
    async with httpx.AsyncClient(base_url=origin) as http:
        bare = await http.get("/supplier")
    assert bare.status_code == 308
    assert bare.headers["location"] == "/supplier/"


async def test_the_gateways_own_paths_still_reach_the_gateway(origin: str) -> None:
    async with httpx.AsyncClient(base_url=origin) as http:
        health = await http.get("/healthz")
        graphql = await http.post("/graphql", json={"query": "{ __typename }"})
        missing = await http.get("/staff/")  # not built: the gateway's 404
    assert health.json() == {"status": "ok"}
    assert graphql.json() == {"data": {"__typename": "Query"}}
    assert missing.status_code == 404


def test_only_built_portals_are_listed(tmp_path: Path) -> None:
    _build(tmp_path, "it", "IT")
    assert portals_found(tmp_path) == ["/it"]
