"""OpenTelemetry tracing of the gateway (optional: ``pip install astrobookings[tracing]``).

When ``ASTRO_GATEWAY_TRACING`` is on, every GraphQL request gets one ``SERVER`` span and every
subgraph fetch one ``CLIENT`` span, a child of its request's span. An incoming W3C
``traceparent`` (and ``tracestate``) is continued; each subgraph request carries the
``traceparent`` of its fetch span. When tracing is off, the gateway holds no :class:`Tracing`
at all (``None``): the request and fetch paths test one attribute and nothing else runs.

Span attributes:

* request: ``graphql.operation.name``, ``graphql.operation.type``, ``graphql.document.hash``
  (SHA-256 of the query text, as APQ computes it), ``http.request.method``,
  ``http.response.status_code``, ``graphql.errors.count``, ``astro.request_id``; the status is
  ``ERROR`` when the response carries errors (their codes are the description).
* fetch: ``subgraph.name``, ``url.full``, ``http.request.method``, ``graphql.operation.type``,
  ``subgraph.representations`` (entity fetches), ``http.response.status_code``; ``ERROR`` on a
  transport failure (the exception is recorded) or an HTTP status of 400 or more.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from .config import GatewayConfig
    from .plan import Fetch
    from .transport import SubgraphClient

__all__ = ["RequestSpan", "Tracing"]

log = logging.getLogger("astro.gateway.tracing")

_TRACE_HEADERS = ("traceparent", "tracestate")
_INSTRUMENTATION = "astro.gateway"


class RequestSpan:
    """The span of one GraphQL request, current while the request runs."""

    __slots__ = ("span", "token")

    def __init__(self, span: Span, token: object) -> None:
        self.span = span
        self.token = token

    def describe(self, query: str, operation_name: str | None, operation_type: str | None) -> None:
        """Name the span after the operation and record what identifies it."""
        span = self.span
        if operation_type:
            span.set_attribute("graphql.operation.type", operation_type)
        if operation_name:
            span.set_attribute("graphql.operation.name", operation_name)
        span.set_attribute(
            "graphql.document.hash", hashlib.sha256(query.encode("utf-8")).hexdigest()
        )
        if operation_type:
            span.update_name(
                f"{operation_type} {operation_name}" if operation_name else operation_type
            )


class Tracing:
    """Creates the gateway's spans on one OpenTelemetry tracer."""

    def __init__(self, tracer: Tracer, owned_provider: Any = None) -> None:
        from opentelemetry import context, trace
        from opentelemetry.trace import SpanKind, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.tracer = tracer
        #: The SDK provider this gateway set up itself (flushed and shut down with it).
        self.owned_provider = owned_provider
        self._context = context
        self._trace = trace
        self._server = SpanKind.SERVER
        self._client = SpanKind.CLIENT
        self._error = StatusCode.ERROR
        self._propagator = TraceContextTextMapPropagator()

    @classmethod
    def create(
        cls, config: GatewayConfig, tracer_provider: TracerProvider | None = None
    ) -> Tracing | None:
        """The tracing of ``config`` (``None`` when off, or when OpenTelemetry is missing).

        ``tracer_provider`` wins over ``config.tracing_exporter`` (tests pass an SDK provider
        with an in-memory exporter; an application may pass its own)."""
        if not config.tracing:
            return None
        try:
            from opentelemetry import trace
        except ImportError:
            log.warning(
                "ASTRO_GATEWAY_TRACING is on but opentelemetry-api is not installed "
                "(install the 'tracing' extra): no spans"
            )
            return None
        if tracer_provider is not None:
            return cls(tracer_provider.get_tracer(_INSTRUMENTATION))
        owned = _provider(config)
        if owned is not None:
            return cls(owned.get_tracer(_INSTRUMENTATION), owned)
        return cls(trace.get_tracer_provider().get_tracer(_INSTRUMENTATION))

    def shutdown(self) -> None:
        """Flush and stop the exporter the gateway set up (not a provider it was given)."""
        if self.owned_provider is not None:
            self.owned_provider.shutdown()

    # -- requests ----------------------------------------------------------------------------

    def start_request(
        self, headers: Mapping[bytes, bytes], method: str, request_id: str
    ) -> RequestSpan:
        """Start (and make current) the span of a request, continuing its ``traceparent``."""
        parent: Context | None = None
        incoming = headers.get(b"traceparent")
        if incoming is not None:
            carrier = {"traceparent": incoming.decode("latin-1")}
            state = headers.get(b"tracestate")
            if state is not None:
                carrier["tracestate"] = state.decode("latin-1")
            parent = self._propagator.extract(carrier)
        span = self.tracer.start_span(
            "graphql",
            context=parent,
            kind=self._server,
            attributes={"http.request.method": method, "astro.request_id": request_id},
        )
        token = self._context.attach(self._trace.set_span_in_context(span, parent))
        return RequestSpan(span, token)

    def end_request(self, request: RequestSpan, status: int, body: Mapping[str, Any]) -> None:
        """Record the outcome of the request and end its span."""
        span = request.span
        try:
            errors = body.get("errors") or ()
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("graphql.errors.count", len(errors))
            if errors or status >= 500:
                codes = sorted(
                    {
                        str((e.get("extensions") or {}).get("code") or "INTERNAL_SERVER_ERROR")
                        for e in errors
                        if isinstance(e, dict)
                    }
                )
                span.set_status(self._error, ", ".join(codes) or f"HTTP {status}")
            span.end()
        finally:
            self._context.detach(request.token)  # type: ignore[arg-type]

    # -- subgraph fetches --------------------------------------------------------------------

    async def fetch(
        self,
        client: SubgraphClient,
        fetch: Fetch,
        body: bytes,
        headers: Mapping[str, str] | None,
        representations: int | None,
    ) -> tuple[int, bytes]:
        """POST one subgraph fetch inside its span; its ``traceparent`` goes along."""
        attributes: dict[str, str | int] = {
            "subgraph.name": fetch.service.lower(),
            "url.full": fetch.url,
            "http.request.method": "POST",
            "graphql.operation.type": "mutation" if fetch.mutation else "query",
        }
        if representations is not None:
            attributes["subgraph.representations"] = representations
        span = self.tracer.start_span("subgraph.fetch", kind=self._client, attributes=attributes)
        forward = {k: v for k, v in (headers or {}).items() if k.lower() not in _TRACE_HEADERS}
        self._propagator.inject(forward, context=self._trace.set_span_in_context(span))
        try:
            status, raw = await client.request(fetch.url, body, forward, dedupe=not fetch.mutation)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(self._error, f"{type(exc).__name__}: {exc}")
            raise
        else:
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_status(self._error, f"HTTP {status}")
            return status, raw
        finally:
            span.end()


def _provider(config: GatewayConfig) -> TracerProvider | None:
    """An SDK tracer provider exporting as ``config.tracing_exporter`` says (``None``: the
    process's global provider, e.g. set up by ``opentelemetry-instrument``)."""
    if config.tracing_exporter == "global":
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SpanExporter,
        )
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError:
        log.warning("opentelemetry-sdk is not installed: spans go to the global tracer provider")
        return None
    exporter: SpanExporter
    if config.tracing_exporter == "console":
        exporter = ConsoleSpanExporter()
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning(
                "opentelemetry-exporter-otlp-proto-http is not installed: "
                "spans go to the global tracer provider"
            )
            return None
        exporter = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, default :4318
    provider = SdkTracerProvider(
        resource=Resource.create({"service.name": config.tracing_service_name}),
        sampler=ParentBased(TraceIdRatioBased(config.tracing_sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
