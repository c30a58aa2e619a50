"""OpenTelemetry spans through the gateway's HTTP endpoint, recorded by the real SDK.

The SDK's ``InMemorySpanExporter`` collects what a collector would receive: one ``SERVER`` span
per GraphQL request, one ``CLIENT`` span per subgraph fetch (children of the request's span), a
continued incoming ``traceparent`` and the fetch span's ``traceparent`` at the subgraph.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.edge import EdgeApp, create_edge_app
from gateway.tracing import Tracing

from .conftest import _closed_port_url, supergraph_with
from .edge_helpers import CountingGraphQL, edge_config, serve, vault_supergraph
from .subgraphs import CountingApp

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(scope="module")
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[tuple[str, CountingGraphQL]]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl), app


@pytest.fixture(scope="module")
async def traced(
    vault: tuple[str, CountingGraphQL], provider: TracerProvider
) -> AsyncIterator[str]:
    """A gateway over the vault with tracing on; its /graphql URL."""
    app = create_edge_app(vault[0], edge_config(tracing=True), tracer_provider=provider)
    async with serve(app, lifespan="on") as base:
        yield base + "/graphql"


async def post(url: str, query: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json={"query": query, **body}, headers=headers or {})
    return response


def of_kind(exporter: InMemorySpanExporter, kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.kind == kind]


def hex_trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}"


def hex_span(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.span_id:016x}"


# -- one server span per request, one client span per fetch ----------------------------------------


async def test_a_request_gets_a_server_span_and_its_fetch_a_client_child(
    traced: str, spans: InMemorySpanExporter
) -> None:
    query = "query Greeting { hello }"
    response = await post(traced, query, operationName="Greeting")
    assert response.json() == {"data": {"hello": "world"}}
    [server] = of_kind(spans, SpanKind.SERVER)
    [client] = of_kind(spans, SpanKind.CLIENT)
    assert server.name == "query Greeting"
    assert server.parent is None
    attributes = dict(server.attributes or {})
    assert attributes["graphql.operation.name"] == "Greeting"
    assert attributes["graphql.operation.type"] == "query"
    assert attributes["graphql.document.hash"] == hashlib.sha256(query.encode()).hexdigest()
    assert attributes["http.response.status_code"] == 200
    assert attributes["graphql.errors.count"] == 0
    assert attributes["astro.request_id"] == response.headers["x-request-id"]
    assert server.status.status_code == StatusCode.UNSET

    assert client.parent is not None
    assert client.parent.span_id == server.context.span_id  # type: ignore[union-attr]
    assert hex_trace(client) == hex_trace(server)
    fetch = dict(client.attributes or {})
    assert fetch["subgraph.name"] == "vault"
    assert str(fetch["url.full"]).endswith("/graphql")
    assert fetch["http.response.status_code"] == 200
    assert "subgraph.representations" not in fetch
    assert client.status.status_code == StatusCode.UNSET


async def test_an_incoming_traceparent_is_continued_and_the_fetch_span_reaches_the_subgraph(
    traced: str, spans: InMemorySpanExporter
) -> None:
    incoming = f"00-{TRACE_ID}-{PARENT_ID}-01"
    response = await post(
        traced,
        '{ tp: echoHeader(name: "traceparent") }',
        headers={"traceparent": incoming, "tracestate": "vendor=1"},
    )
    [server] = of_kind(spans, SpanKind.SERVER)
    [client] = of_kind(spans, SpanKind.CLIENT)
    assert hex_trace(server) == TRACE_ID
    assert server.parent is not None and f"{server.parent.span_id:016x}" == PARENT_ID
    assert server.parent.is_remote
    assert hex_trace(client) == TRACE_ID
    # The subgraph saw the client span as its parent, not the caller's span.
    seen = response.json()["data"]["tp"]
    assert seen == f"00-{TRACE_ID}-{hex_span(client)}-01"


async def test_errors_mark_the_request_span(traced: str, spans: InMemorySpanExporter) -> None:
    response = await post(traced, "{ hello boom }")
    assert response.json()["data"] == {"hello": "world", "boom": None}
    [server] = of_kind(spans, SpanKind.SERVER)
    assert dict(server.attributes or {})["graphql.errors.count"] == 1
    assert server.status.status_code == StatusCode.ERROR
    assert server.name == "query"

    spans.clear()
    invalid = await post(traced, "{ nope }")
    assert invalid.status_code == 400
    [server] = of_kind(spans, SpanKind.SERVER)
    assert dict(server.attributes or {})["http.response.status_code"] == 400
    assert server.status.status_code == StatusCode.ERROR
    assert server.status.description == "GRAPHQL_VALIDATION_FAILED"
    assert of_kind(spans, SpanKind.CLIENT) == []


async def test_entity_fetches_carry_their_representation_count(
    subgraphs: dict[str, tuple[str, CountingApp]],
    supergraph_sdl: str,
    provider: TracerProvider,
    spans: InMemorySpanExporter,
) -> None:
    app = create_edge_app(supergraph_sdl, edge_config(tracing=True), tracer_provider=provider)
    async with serve(app, lifespan="on") as base:
        response = await post(base + "/graphql", "{ missions { name crewSize } }")
    assert response.json()["data"]["missions"] == [
        {"name": "Lunar Gateway", "crewSize": 4},
        {"name": "Europa Lander", "crewSize": 2},
    ]
    [server] = of_kind(spans, SpanKind.SERVER)
    fetches = {
        str((s.attributes or {})["subgraph.name"]): s for s in of_kind(spans, SpanKind.CLIENT)
    }
    assert set(fetches) == {"missions", "crew"}
    for fetch in fetches.values():
        assert fetch.parent is not None
        assert fetch.parent.span_id == server.context.span_id  # type: ignore[union-attr]
    assert "subgraph.representations" not in (fetches["missions"].attributes or {})
    assert (fetches["crew"].attributes or {})["subgraph.representations"] == 2
    assert (fetches["crew"].attributes or {})["url.full"] == subgraphs["crew"][0]


async def test_an_unreachable_subgraph_fails_its_fetch_span(
    subgraphs: dict[str, tuple[str, CountingApp]],
    provider: TracerProvider,
    spans: InMemorySpanExporter,
) -> None:
    urls = {name: url for name, (url, _) in subgraphs.items()}
    urls["missions"] = _closed_port_url()
    app = create_edge_app(
        supergraph_with(urls), edge_config(tracing=True), tracer_provider=provider
    )
    async with serve(app, lifespan="on") as base:
        response = await post(base + "/graphql", "{ missions { name } }")
    assert response.json()["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    [client] = of_kind(spans, SpanKind.CLIENT)
    assert client.status.status_code == StatusCode.ERROR
    assert "http.response.status_code" not in (client.attributes or {})
    assert [e.name for e in client.events] == ["exception"]
    [server] = of_kind(spans, SpanKind.SERVER)
    assert server.status.status_code == StatusCode.ERROR


# -- off: no spans, nothing on the request path ------------------------------------------------------


async def test_tracing_off_records_nothing(
    vault: tuple[str, CountingGraphQL], provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    app = create_edge_app(vault[0], edge_config(tracing=False), tracer_provider=provider)
    assert isinstance(app, EdgeApp)
    assert app.tracing is None and app.engine.tracing is None
    incoming = f"00-{TRACE_ID}-{PARENT_ID}-01"
    async with serve(app, lifespan="on") as base:
        response = await post(
            base + "/graphql",
            '{ tp: echoHeader(name: "traceparent") }',
            headers={"traceparent": incoming},
        )
    assert spans.get_finished_spans() == ()
    # Without tracing the caller's traceparent is only passed along (PROPAGATE_HEADERS).
    assert response.json()["data"]["tp"] == incoming


def test_the_exporter_setting_builds_the_provider() -> None:
    assert Tracing.create(edge_config()) is None
    console = Tracing.create(
        edge_config(tracing=True, tracing_exporter="console", tracing_service_name="gw-test")
    )
    assert console is not None and isinstance(console.owned_provider, TracerProvider)
    assert console.owned_provider.resource.attributes["service.name"] == "gw-test"
    console.shutdown()
    process_wide = Tracing.create(edge_config(tracing=True, tracing_exporter="global"))
    assert process_wide is not None and process_wide.owned_provider is None
