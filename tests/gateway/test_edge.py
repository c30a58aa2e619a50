"""The gateway's edge over real HTTP: CSRF, CORS, error masking, request ids, header
propagation, introspection, APQ and the safelist (Redis), rate limits (Redis), metrics, probes,
the console."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from astro.settings import Settings

from .edge_helpers import CountingGraphQL, edge_config, edge_gateway, hs256, serve, vault_supergraph

MANIFEST = Path(__file__).resolve().parents[2] / "clients" / "operations"


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[tuple[str, CountingGraphQL]]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl), app


@pytest.fixture(scope="module")
async def prod(vault: tuple[str, CountingGraphQL]) -> AsyncIterator[str]:
    """A production-mode gateway (masking on, introspection off, CORS allowlist)."""
    config = edge_config(mode="production", cors_origins=["https://app.astrobookings.dev"])
    async with edge_gateway(vault[0], config) as gateway_url:
        yield gateway_url


@pytest.fixture(scope="module")
async def dev(vault: tuple[str, CountingGraphQL]) -> AsyncIterator[str]:
    async with edge_gateway(vault[0], edge_config()) as gateway_url:
        yield gateway_url


async def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.request(method, url, **kwargs)


# -- CSRF ----------------------------------------------------------------------------------------


async def test_simple_cross_site_post_is_rejected_as_csrf(dev: str) -> None:
    response = await request(
        "POST", dev, content=b'{"query":"{ hello }"}', headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"


async def test_get_without_preflight_header_is_rejected_as_csrf(dev: str) -> None:
    response = await request("GET", dev, params={"query": "{ hello }"})
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"


async def test_get_with_a_preflight_header_and_json_post_pass_csrf(dev: str) -> None:
    get = await request(
        "GET", dev, params={"query": "{ hello }"}, headers={"apollo-require-preflight": "1"}
    )
    assert get.json() == {"data": {"hello": "world"}}
    post = await request("POST", dev, json={"query": "{ hello }"})
    assert post.json() == {"data": {"hello": "world"}}


# -- CORS ----------------------------------------------------------------------------------------


async def test_cors_allows_listed_origins_only(prod: str) -> None:
    allowed = await request(
        "OPTIONS",
        prod,
        headers={
            "origin": "https://app.astrobookings.dev",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization",
        },
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://app.astrobookings.dev"
    denied = await request(
        "OPTIONS",
        prod,
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert denied.status_code == 403
    assert "access-control-allow-origin" not in denied.headers
    post = await request(
        "POST", prod, json={"query": "{ hello }"}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in post.headers


# -- errors and request ids ----------------------------------------------------------------------


async def test_masked_errors_hide_internals_and_carry_the_request_id(prod: str) -> None:
    response = await request(
        "POST", prod, json={"query": "{ boom }"}, headers={"x-request-id": "req-42"}
    )
    assert response.headers["x-request-id"] == "req-42"
    error = response.json()["errors"][0]
    assert "hunter2" not in response.text
    assert error["extensions"]["requestId"] == "req-42"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_every_response_gets_a_request_id(dev: str) -> None:
    response = await request("POST", dev, json={"query": "{ nope }"})
    rid = response.headers["x-request-id"]
    assert len(rid) == 32
    assert response.json()["errors"][0]["extensions"]["requestId"] == rid


async def test_request_id_and_allowlisted_headers_reach_subgraphs(dev: str) -> None:
    query = "{ a: echoHeader(name: $n) }".replace("$n", '"x-request-id"')
    query = query[:-1] + ' b: echoHeader(name: "accept-language") c: echoHeader(name: "cookie") }'
    response = await request(
        "POST",
        dev,
        json={"query": query},
        headers={"x-request-id": "trace-me", "accept-language": "es", "cookie": "secret=1"},
    )
    assert response.json() == {"data": {"a": "trace-me", "b": "es", "c": None}}


# -- introspection -------------------------------------------------------------------------------


async def test_introspection_is_off_in_production_and_on_in_dev(prod: str, dev: str) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    off = await request("POST", prod, json=query)
    assert off.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    on = await request("POST", dev, json=query)
    assert on.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


# -- APQ and the safelist --------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def redis_gateway(
    vault: tuple[str, CountingGraphQL], settings: Settings
) -> AsyncIterator[str]:
    config = edge_config(
        redis_url=settings.redis_url,
        rate_limit=True,
        rate_limit_per_second=0.01,
        rate_limit_burst=3,
        login_rate_limit_per_second=0.01,
        login_rate_limit_burst=1,
    )
    async with edge_gateway(vault[0], config) as gateway_url:
        yield gateway_url


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_round_trip_through_redis(
    vault: tuple[str, CountingGraphQL], settings: Settings
) -> None:
    query = "{ hello apq: hello } # " + uuid.uuid4().hex
    digest = hashlib.sha256(query.encode()).hexdigest()
    config = edge_config(redis_url=settings.redis_url)
    async with edge_gateway(vault[0], config) as first:
        miss = await request("POST", first, json={"extensions": apq(digest)})
        assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        register = await request("POST", first, json={"query": query, "extensions": apq(digest)})
        assert register.json() == {"data": {"hello": "world", "apq": "world"}}
    async with edge_gateway(vault[0], config) as second:  # a fresh process: Redis has it
        hit = await request("POST", second, json={"extensions": apq(digest)})
        assert hit.json() == {"data": {"hello": "world", "apq": "world"}}


async def test_apq_with_a_wrong_hash_is_refused(dev: str) -> None:
    response = await request("POST", dev, json={"query": "{ hello }", "extensions": apq("0" * 64)})
    assert response.status_code == 400


async def test_safelist_rejects_unknown_operations_and_runs_listed_ones(
    vault: tuple[str, CountingGraphQL], tmp_path: Path
) -> None:
    (tmp_path / "ops.graphql").write_text("query Hello { hello }\nquery Who { me }\n")
    config = edge_config(safelist=True, operations_manifest=tmp_path)
    async with edge_gateway(vault[0], config) as gateway_url:
        listed = await request(
            "POST", gateway_url, json={"query": "query   Hello {\n hello\n}  # same op"}
        )
        assert listed.json() == {"data": {"hello": "world"}}
        unknown = await request("POST", gateway_url, json={"query": "{ accounts { owner } }"})
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        digest = hashlib.sha256(b"query Hello {\n  hello\n}").hexdigest()
        by_id = await request("POST", gateway_url, json={"extensions": apq(digest)})
        assert by_id.json() == {"data": {"hello": "world"}}


def test_the_web_clients_manifest_loads() -> None:
    from gateway.persisted import Safelist

    safelist = Safelist.load(MANIFEST)
    assert {"Catalog", "Login", "Me"} <= set(safelist.names)


# -- rate limiting ---------------------------------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after(redis_gateway: str) -> None:
    token = hs256(["customer"], sub=f"user-{uuid.uuid4().hex}")
    headers = {"authorization": f"Bearer {token}"}
    statuses = []
    for _ in range(4):
        response = await request(
            "POST", redis_gateway, json={"query": "{ hello }"}, headers=headers
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] >= 1
    assert int(response.headers["retry-after"]) >= 1
    other = hs256(["customer"], sub=f"user-{uuid.uuid4().hex}")
    fresh = await request(
        "POST",
        redis_gateway,
        json={"query": "{ hello }"},
        headers={"authorization": f"Bearer {other}"},
    )
    assert fresh.status_code == 200


async def test_login_has_a_stricter_limit(
    vault: tuple[str, CountingGraphQL], settings: Settings
) -> None:
    config = edge_config(
        redis_url=settings.redis_url,
        rate_limit=True,
        rate_limit_burst=100,
        login_rate_limit_per_second=0.01,
        login_rate_limit_burst=2,
    )
    login = {"query": 'mutation { login(email: "a@b.c") }'}
    async with edge_gateway(vault[0], config) as gateway_url:
        # the test client's IP may have spent login tokens in an earlier run: use a new prefix
        statuses = [(await request("POST", gateway_url, json=login)).status_code for _ in range(3)]
        assert statuses[-1] == 429
        assert (await request("POST", gateway_url, json={"query": "{ hello }"})).status_code == 200


# -- probes, metrics, console ----------------------------------------------------------------------


async def test_healthz_readyz_and_metrics(dev: str) -> None:
    base = dev.removesuffix("/graphql")
    await request("POST", dev, json={"query": "{ hello }"})
    assert (await request("GET", base + "/healthz")).json() == {"status": "ok"}
    ready = await request("GET", base + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"vault": "ok"}
    metrics = (await request("GET", base + "/metrics")).text
    assert 'astro_gateway_requests_total{status="200"}' in metrics
    assert 'astro_gateway_subgraph_fetches_total{outcome="ok",subgraph="vault"}' in metrics
    assert "astro_gateway_request_duration_seconds_bucket" in metrics


def samples(text: str) -> dict[str, float]:
    """The samples of a Prometheus text exposition, by name with labels."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


async def test_metrics_count_cache_hits_and_misses(vault: tuple[str, CountingGraphQL]) -> None:
    async with edge_gateway(vault[0], edge_config()) as gateway_url:
        base = gateway_url.removesuffix("/graphql")
        for _ in range(2):  # a miss, then a hit: document, plan, authorization decision
            ok = await request("POST", gateway_url, json={"query": "{ hello }"})
            assert ok.json() == {"data": {"hello": "world"}}
        query = "query Two { hello }"
        digest = hashlib.sha256(query.encode()).hexdigest()
        apq = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        unknown = await request("POST", gateway_url, json={"extensions": apq})
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        await request("POST", gateway_url, json={"query": query, "extensions": apq})
        known = await request("POST", gateway_url, json={"extensions": apq})
        assert known.json() == {"data": {"hello": "world"}}
        await request("POST", gateway_url, json={"query": "{ hello(x: 1) }"})  # invalid: a miss
        text = (await request("GET", base + "/metrics")).text
    got = samples(text)
    assert "# TYPE astro_gateway_cache_hits_total counter" in text
    assert "# TYPE astro_gateway_cache_entries gauge" in text

    def hits(cache: str) -> tuple[float, float]:
        return (
            got[f'astro_gateway_cache_hits_total{{cache="{cache}"}}'],
            got[f'astro_gateway_cache_misses_total{{cache="{cache}"}}'],
        )

    assert hits("document") == (2, 3)  # { hello } twice, Two twice, the invalid one
    assert hits("plan") == (2, 2)
    assert hits("authorization") == (2, 2)
    assert hits("apq") == (1, 1)
    assert got['astro_gateway_cache_entries{cache="document"}'] == 3
    assert got['astro_gateway_cache_entries{cache="plan"}'] == 2
    assert got['astro_gateway_cache_entries{cache="apq"}'] == 1
    assert got['astro_gateway_requests_total{status="200"}'] == 5
    assert got['astro_gateway_requests_total{status="400"}'] == 1
    assert got['astro_gateway_graphql_errors_total{code="PERSISTED_QUERY_NOT_FOUND"}'] == 1
    assert got['astro_gateway_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}'] == 1
    assert got['astro_gateway_subgraph_fetches_total{outcome="ok",subgraph="vault"}'] == 4
    assert got["astro_gateway_request_duration_seconds_count"] == 6


async def test_readyz_reports_an_unreachable_subgraph() -> None:
    sdl = vault_supergraph("http://127.0.0.1:9/graphql", CountingGraphQL().sdl)
    async with edge_gateway(sdl, edge_config()) as gateway_url:
        ready = await request("GET", gateway_url.removesuffix("/graphql") + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"vault": "unreachable"}


async def test_console_is_served_without_any_cdn(dev: str) -> None:
    page = await request("GET", dev, headers={"accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert "https://" not in html and "http://" not in html
    from gateway.console import graphiql_installed

    if graphiql_installed():
        assert "/console/graphiql.js" in html
        asset = await request("GET", dev.removesuffix("/graphql") + "/console/graphiql.js")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith("text/javascript")
