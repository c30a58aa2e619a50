"""The edge's ASGI server: HTTP in and out around the engine's stages.

Request id in and out, CORS, the console, ``/healthz``, ``/readyz`` and ``/metrics`` are served
here; a GraphQL request becomes one :class:`~gateway.context.OperationContext` that the engine
runs through the edge's stages (hooks) and its own, inside the request's span; its errors are
then counted and masked (``masking.py``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from ..cache import CacheStats
from ..console import console_asset, console_page
from ..context import OperationContext, error
from ..metrics import Metrics

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ..authorization import Policy
    from ..config import GatewayConfig
    from ..engine import Engine
    from ..tracing import Tracing
    from .authorization import FieldAuthorization
    from .cors import Cors
    from .masking import ErrorMasking

__all__ = ["EdgeApp"]

log = logging.getLogger("astro.gateway")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class EdgeApp:
    """The ASGI app of a gateway with its edge (built by :func:`gateway.edge.create_edge_app`)."""

    def __init__(
        self,
        engine: Engine,
        config: GatewayConfig,
        *,
        metrics: Metrics,
        tracing: Tracing | None,
        cors: Cors,
        masking: ErrorMasking,
        authorization: FieldAuthorization,
        caches: Mapping[str, CacheStats],
        redis: Redis | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.metrics = metrics
        self.tracing = tracing
        self.cors = cors
        self.masking = masking
        self.authorization = authorization
        self.caches = caches
        self.redis = redis

    def register_policy(self, name: str, policy: Policy) -> None:
        """Decide ``@policy`` name ``name`` with ``policy(principal_or_None) -> bool``."""
        self.authorization.register(name, policy)

    def cache_counts(self) -> dict[str, tuple[int, int, int]]:
        """Hits, misses and entries of every cache (plain integers kept by the caches)."""
        counts = self.engine.caches()
        for name, cache in self.caches.items():
            counts[name] = (cache.hits, cache.misses, len(cache))
        return counts

    # -- ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers: dict[bytes, bytes] = {}
        for k, v in scope.get("headers") or ():
            headers[k.lower()] = v
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        extra = [(b"x-request-id", request_id.encode("latin-1"))]
        extra.extend(self.cors.headers(headers))
        path = scope["path"].rstrip("/")
        method = scope.get("method", "GET")
        if method == "OPTIONS":
            status, extra = self.cors.preflight(headers, extra)
            await _respond(send, status, b"", b"text/plain", extra)
            return
        if path in ("/graphql", ""):
            await self._graphql(scope, receive, send, headers, request_id, extra)
        elif path == "/healthz":
            await _respond(send, 200, b'{"status":"ok"}', b"application/json", extra)
        elif path == "/readyz":
            await self._readyz(send, extra)
        elif path == "/metrics" and self.config.metrics:
            if not self._may_read_metrics(headers):
                await _respond(
                    send,
                    401,
                    b"metrics need the metrics token",
                    b"text/plain",
                    [*extra, (b"www-authenticate", b"Bearer")],
                )
                return
            apq = self.caches.get("apq")
            gauges = {"astro_gateway_apq_store_size": float(len(apq) if apq is not None else 0)}
            body = self.metrics.render(gauges, self.cache_counts())
            await _respond(send, 200, body, b"text/plain; version=0.0.4; charset=utf-8", extra)
        elif path.startswith("/console/") and self.config.console:
            asset = console_asset(path.removeprefix("/console/"))
            if asset is None:
                await _respond(send, 404, b"not found", b"text/plain", extra)
            else:
                await _respond(send, 200, asset[0], asset[1], extra)
        else:
            await _respond(send, 404, b"not found", b"text/plain", extra)

    def _may_read_metrics(self, headers: Mapping[bytes, bytes]) -> bool:
        """Whether the request carries the metrics token (always, when none is configured)."""
        token = self.config.metrics_token
        if token is None:
            return True
        given = headers.get(b"authorization", b"").decode("latin-1")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.engine.client.aclose()
                if self.tracing is not None:
                    self.tracing.shutdown()
                if self.redis is not None:
                    try:
                        await self.redis.aclose()
                    except Exception:  # shutting down anyway
                        pass
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- readiness -----------------------------------------------------------------------------

    async def _readyz(self, send: Send, extra: list[tuple[bytes, bytes]]) -> None:
        async def probe(name: str, url: str) -> tuple[str, bool]:
            parts = urlsplit(url)
            host = parts.hostname or "127.0.0.1"
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
            except (OSError, TimeoutError):
                return name, False
            writer.close()
            return name, True

        results = await asyncio.gather(
            *(probe(name, url) for name, url in self.engine.supergraph.graphs.items())
        )
        checks = {name.lower(): ("ok" if up else "unreachable") for name, up in results}
        if self.redis is not None:
            try:
                await asyncio.wait_for(self.redis.ping(), 2.0)
                checks["redis"] = "ok"
            except Exception:
                checks["redis"] = "unreachable"
        ready = all(v == "ok" for v in checks.values())
        body = orjson.dumps({"status": "ready" if ready else "unavailable", "checks": checks})
        await _respond(send, 200 if ready else 503, body, b"application/json", extra)

    # -- GraphQL -------------------------------------------------------------------------------

    async def _graphql(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        request_id: str,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        method = scope.get("method", "GET")
        query_string: bytes = scope.get("query_string") or b""
        if method == "GET" and not query_string and b"text/html" in headers.get(b"accept", b""):
            if self.config.console:
                await _respond(send, 200, console_page(), b"text/html; charset=utf-8", extra)
            else:
                await _respond(send, 404, b"not found", b"text/plain", extra)
            return
        started = time.perf_counter()
        client = scope.get("client")
        ctx = OperationContext(
            method=method,
            headers=headers,
            request_id=request_id,
            receive=receive,
            query_string=query_string,
            client_ip=str(client[0]) if client else "unknown",
        )
        tracing = self.tracing
        span = None if tracing is None else tracing.start_request(headers, method, request_id)
        ctx.span = span
        try:
            await self.engine.run(ctx)
        except Exception:
            log.exception("request %s failed", request_id)
            ctx.status = 500
            ctx.body = {"errors": [error("Internal server error.", "INTERNAL_SERVER_ERROR")]}
        finally:
            if span is not None:
                assert tracing is not None
                if ctx.query is not None:
                    facts = ctx.facts
                    span.describe(
                        ctx.query, ctx.operation_name, facts.op_type if facts is not None else None
                    )
                tracing.end_request(span, ctx.status, ctx.body)
        if ctx.response_headers:
            extra = [*extra, *ctx.response_headers]
        body = self.masking(ctx.body, request_id)
        self.metrics.requests.inc(status=str(ctx.status))
        self.metrics.latency.observe(time.perf_counter() - started)
        await _respond(send, ctx.status, orjson.dumps(body), b"application/json", extra)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
