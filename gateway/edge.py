"""The gateway's edge: everything between an HTTP request and ``Gateway.execute``.

Request id in and out; CORS; body size; CSRF prevention; token verification (401
``UNAUTHENTICATED``); rate limits (429 ``RATE_LIMITED``); persisted queries and the safelist;
token, depth, alias, root-field and cost limits; the introspection policy; field authorization
(handed to the engine, which filters before planning); header propagation; error masking;
``/metrics``, ``/healthz``, ``/readyz`` and the console.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)

from .auth import AuthenticationError, Principal, TokenVerifier
from .authorization import Authorization, Authorizer, Policy
from .config import GatewayConfig
from .console import console_asset, console_page
from .limits import Limits, LimitViolation
from .metrics import CacheCounts, Metrics
from .persisted import PersistedQueries, PersistedQueryError, Safelist
from .ratelimit import TokenBucket
from .tracing import RequestSpan, Tracing
from .transport import SubgraphClient, TransportError

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider
    from redis.asyncio import Redis

    from .app import Gateway

__all__ = ["EdgeApp", "InstrumentedClient", "create_edge_app"]

log = logging.getLogger("astro.gateway")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_SIMPLE_CONTENT_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
#: Error codes whose message a client may see even when errors are masked.
_MASKED_CODES = frozenset({"INTERNAL_SERVER_ERROR", "QUERY_PLANNING_FAILED"})
_SUBGRAPH_CODES_PREFIX = "SUBREQUEST_"


class InstrumentedClient(SubgraphClient):
    """The engine's subgraph client with per-subgraph timeouts and metrics."""

    def __init__(
        self,
        services: Mapping[str, str],
        *,
        timeout: float,
        timeouts: Mapping[str, float],
        metrics: Metrics,
    ) -> None:
        super().__init__(timeout=max([timeout, *timeouts.values()]))
        self.services = {url: name.lower() for name, url in services.items()}
        self.default_timeout = timeout
        self.timeouts = {k.lower(): v for k, v in timeouts.items()}
        self.metrics = metrics

    async def request(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        dedupe: bool = True,
    ) -> tuple[int, bytes]:
        service = self.services.get(url, "unknown")
        timeout = self.timeouts.get(service, self.default_timeout)
        started = time.perf_counter()
        outcome = "ok"
        try:
            status, raw = await asyncio.wait_for(
                super().request(url, body, headers, dedupe=dedupe), timeout
            )
            if status >= 400:
                outcome = "http_error"
            return status, raw
        except TimeoutError as exc:
            outcome = "timeout"
            raise TransportError(f"no answer within {timeout:g} s") from exc
        except BaseException:
            outcome = "error"
            raise
        finally:
            self.metrics.fetches.inc(subgraph=service, outcome=outcome)
            self.metrics.fetch_latency.observe(time.perf_counter() - started, subgraph=service)


class _Reply(Exception):
    def __init__(
        self,
        status: int,
        errors: list[dict[str, Any]],
        headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    ) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors
        self.headers = list(headers)


def _error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


def _root_field_names(
    sel: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], out: set[str]
) -> set[str]:
    for node in sel.selections:
        if isinstance(node, FieldNode):
            out.add(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            _root_field_names(node.selection_set, fragments, out)
        elif isinstance(node, FragmentSpreadNode):
            frag = fragments.get(node.name.value)
            if frag is not None:
                _root_field_names(frag.selection_set, fragments, out)
    return out


@dataclass(frozen=True, slots=True)
class _OperationFacts:
    root_fields: frozenset[str]
    introspection: bool
    op_type: str


class EdgeApp:
    """The ASGI app of a gateway with its edge."""

    def __init__(
        self,
        gateway: Gateway,
        config: GatewayConfig,
        *,
        policies: Mapping[str, Policy] | None = None,
        redis: Redis | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        config = config.resolved()
        self.gateway = gateway
        self.config = config
        self.metrics = Metrics()
        self.tracing = Tracing.create(config, tracer_provider)
        gateway.tracing = self.tracing
        gateway.client = InstrumentedClient(
            gateway.supergraph.graphs,
            timeout=config.subgraph_timeout_seconds,
            timeouts=config.subgraph_timeouts,
            metrics=self.metrics,
        )
        self.verifier = TokenVerifier(config)
        self.authorizer = Authorizer(
            gateway.supergraph.document,
            gateway.api_schema,
            mode=config.authorization_mode,
            policies=policies,
        )
        self.limits = Limits(
            schema=gateway.api_schema,
            supergraph=gateway.supergraph.document,
            max_depth=config.max_depth or 0,
            max_aliases=config.max_aliases or 0,
            max_root_fields=config.max_root_fields or 0,
            max_tokens=config.max_tokens or 0,
            max_cost=config.max_cost or 0,
            default_list_size=config.default_list_size,
        )
        if redis is None and config.redis_url:
            from redis.asyncio import Redis as _Redis

            redis = _Redis.from_url(config.redis_url)
        self.redis = redis
        safelist = None
        if config.safelist:
            if config.operations_manifest is None:
                raise ValueError("safelist mode needs ASTRO_GATEWAY_OPERATIONS_MANIFEST")
            safelist = Safelist.load(config.operations_manifest)
        self.safelist = safelist
        self.persisted = PersistedQueries(
            redis,
            ttl_seconds=config.apq_ttl_seconds,
            enabled=config.apq,
            safelist=safelist,
            allow_registration=config.safelist_allow_apq_registration or safelist is None,
        )
        self.buckets = TokenBucket(
            redis, rate=config.rate_limit_per_second, burst=config.rate_limit_burst
        )
        self.login_buckets = TokenBucket(
            redis,
            rate=config.login_rate_limit_per_second,
            burst=config.login_rate_limit_burst,
            prefix="astro:rl:login:",
        )
        self.login_fields = frozenset(config.login_fields)
        self.propagate = tuple(h.lower().encode("latin-1") for h in config.propagate_headers)
        self.csrf_headers = tuple(h.lower().encode("latin-1") for h in config.csrf_required_headers)
        self.cors_any = "*" in (config.cors_origins or [])
        self.cors_origins = frozenset(o.rstrip("/") for o in config.cors_origins or [] if o != "*")
        self._facts_cache: dict[tuple[str, str | None], _OperationFacts | None] = {}

    def _cache_counts(self) -> CacheCounts:
        """Hits, misses and entries of each cache (plain integers kept by the caches)."""
        documents = self.gateway._documents
        planner = self.gateway.planner
        persisted = self.persisted
        return {
            "document": (documents.hits, documents.misses, len(documents)),
            "plan": (planner.hits, planner.misses, planner.size),
            "authorization": (
                self.authorizer.hits,
                self.authorizer.misses,
                self.authorizer.cache_size,
            ),
            "apq": (persisted.hits, persisted.misses, len(persisted._local)),
        }

    def register_policy(self, name: str, policy: Policy) -> None:
        """Decide ``@policy`` name ``name`` with ``policy(principal_or_None) -> bool``."""
        self.authorizer.register(name, policy)

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
        extra.extend(self._cors_headers(headers))
        path = scope["path"].rstrip("/")
        method = scope.get("method", "GET")
        if method == "OPTIONS":
            await self._preflight(send, headers, extra)
            return
        if path in ("/graphql", ""):
            await self._graphql(scope, receive, send, headers, request_id, extra)
        elif path == "/healthz":
            await _respond(send, 200, b'{"status":"ok"}', b"application/json", extra)
        elif path == "/readyz":
            await self._readyz(send, extra)
        elif path == "/metrics" and self.config.metrics:
            gauges = {"astro_gateway_apq_store_size": float(len(self.persisted._local))}
            body = self.metrics.render(gauges, self._cache_counts())
            await _respond(send, 200, body, b"text/plain; version=0.0.4; charset=utf-8", extra)
        elif path.startswith("/console/") and self.config.console:
            asset = console_asset(path.removeprefix("/console/"))
            if asset is None:
                await _respond(send, 404, b"not found", b"text/plain", extra)
            else:
                await _respond(send, 200, asset[0], asset[1], extra)
        else:
            await _respond(send, 404, b"not found", b"text/plain", extra)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.gateway.client.aclose()
                if self.tracing is not None:
                    self.tracing.shutdown()
                if self.redis is not None:
                    try:
                        await self.redis.aclose()
                    except Exception:  # shutting down anyway
                        pass
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- CORS ----------------------------------------------------------------------------------

    def _origin_allowed(self, origin: str) -> bool:
        return self.cors_any or origin.rstrip("/") in self.cors_origins

    def _cors_headers(self, headers: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
        origin = headers.get(b"origin")
        if not origin or not self._origin_allowed(origin.decode("latin-1")):
            return []
        out = [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        if self.config.cors_allow_credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        out.append((b"access-control-expose-headers", b"x-request-id, retry-after"))
        return out

    async def _preflight(
        self, send: Send, headers: Mapping[bytes, bytes], extra: list[tuple[bytes, bytes]]
    ) -> None:
        origin = headers.get(b"origin")
        if not origin or not self._origin_allowed(origin.decode("latin-1")):
            await _respond(send, 403, b"", b"text/plain", extra)
            return
        requested = headers.get(b"access-control-request-headers", b"content-type")
        extra = [
            *extra,
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", requested),
            (b"access-control-max-age", b"600"),
        ]
        await _respond(send, 204, b"", b"text/plain", extra)

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
            *(probe(name, url) for name, url in self.gateway.supergraph.graphs.items())
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
        if (
            method == "GET"
            and not scope.get("query_string")
            and b"text/html" in headers.get(b"accept", b"")
        ):
            if self.config.console:
                await _respond(send, 200, console_page(), b"text/html; charset=utf-8", extra)
            else:
                await _respond(send, 404, b"not found", b"text/plain", extra)
            return
        started = time.perf_counter()
        status = 500
        body: dict[str, Any] = {}
        tracing = self.tracing
        span = None if tracing is None else tracing.start_request(headers, method, request_id)
        try:
            status, body = await self._handle(scope, receive, headers, request_id, span)
        except _Reply as reply:
            status, body = reply.status, {"errors": reply.errors}
            extra = [*extra, *reply.headers]
        except Exception:
            log.exception("request %s failed", request_id)
            status = 500
            body = {"errors": [_error("Internal server error.", "INTERNAL_SERVER_ERROR")]}
        finally:
            if span is not None:
                assert tracing is not None
                tracing.end_request(span, status, body)
        body = self._finish(body, request_id)
        self.metrics.requests.inc(status=str(status))
        self.metrics.latency.observe(time.perf_counter() - started)
        await _respond(send, status, orjson.dumps(body), b"application/json", extra)

    def _finish(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        errors = body.get("errors")
        if not errors:
            return body
        mask = bool(self.config.mask_errors)
        out: list[dict[str, Any]] = []
        for err in errors:
            ext = dict(err.get("extensions") or {})
            code = str(ext.get("code") or "INTERNAL_SERVER_ERROR")
            self.metrics.errors.inc(code=code)
            if code == "UNAUTHORIZED_FIELD_OR_TYPE":
                self.metrics.unauthorized.inc()
            if mask:
                ext.pop("exception", None)
                ext.pop("stacktrace", None)
                if code in _MASKED_CODES or "code" not in (err.get("extensions") or {}):
                    log.error("request %s: %s", request_id, orjson.dumps(err).decode())
                    err = {k: v for k, v in err.items() if k in ("path", "locations")}
                    err["message"] = "Internal server error."
                    ext = {"code": "INTERNAL_SERVER_ERROR"}
                elif code.startswith(_SUBGRAPH_CODES_PREFIX):
                    log.error("request %s: %s", request_id, orjson.dumps(err).decode())
                    err = {k: v for k, v in err.items() if k in ("path", "locations")}
                    err["message"] = "A service this request needs is unavailable."
                    ext = {"code": code}
            ext["requestId"] = request_id
            out.append({**err, "extensions": ext})
        return {**body, "errors": out}

    async def _read_body(self, receive: Receive, headers: Mapping[bytes, bytes]) -> bytes:
        limit = self.config.max_body_bytes or 0
        declared = headers.get(b"content-length")
        if limit and declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Reply(
                413, [_error(f"The request body is over {limit} bytes.", "PAYLOAD_TOO_LARGE")]
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit and size > limit:
                raise _Reply(
                    413, [_error(f"The request body is over {limit} bytes.", "PAYLOAD_TOO_LARGE")]
                )
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def _check_csrf(self, method: str, headers: Mapping[bytes, bytes]) -> None:
        if not self.config.csrf_prevention:
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip()
        simple = (
            method == "GET" or not content_type or content_type.lower() in _SIMPLE_CONTENT_TYPES
        )
        if simple and not any(headers.get(h) for h in self.csrf_headers):
            names = " or ".join(h.decode() for h in self.csrf_headers)
            raise _Reply(
                400,
                [
                    _error(
                        "This operation has been blocked as a potential Cross-Site Request "
                        "Forgery (CSRF). Send it with 'Content-Type: application/json' or a "
                        f"non-empty {names} header.",
                        "CSRF_PREVENTED",
                    )
                ],
            )

    async def _payload(
        self, scope: Scope, receive: Receive, headers: Mapping[bytes, bytes]
    ) -> dict[str, Any]:
        method = scope.get("method", "GET")
        if method == "POST":
            raw = await self._read_body(receive, headers)
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise _Reply(400, [_error("Body is not valid JSON.", "BAD_REQUEST")]) from None
            if not isinstance(payload, dict):
                raise _Reply(400, [_error("Batched requests are not supported.", "BAD_REQUEST")])
            return payload
        if method != "GET":
            raise _Reply(405, [_error("Use GET or POST.", "METHOD_NOT_ALLOWED")])
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        payload = {k: v[0] for k, v in params.items()}
        for key in ("variables", "extensions"):
            if key in payload:
                try:
                    payload[key] = orjson.loads(payload[key])
                except orjson.JSONDecodeError:
                    raise _Reply(
                        400, [_error(f"{key} is not valid JSON.", "BAD_REQUEST")]
                    ) from None
        return payload

    def _client_ip(self, scope: Scope, headers: Mapping[bytes, bytes]) -> str:
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def _rate_limit(self, bucket: TokenBucket, key: str) -> None:
        decision = await bucket.take(key)
        if decision.allowed:
            return
        retry = max(1, int(decision.retry_after + 0.999))
        self.metrics.rate_limited.inc()
        raise _Reply(
            429,
            [_error("Too many requests; retry later.", "RATE_LIMITED", retryAfter=retry)],
            [(b"retry-after", str(retry).encode())],
        )

    def _facts(
        self, query: str, document: DocumentNode, op_name: str | None
    ) -> _OperationFacts | None:
        key = (query, op_name)
        if key in self._facts_cache:
            return self._facts_cache[key]
        operation: OperationDefinitionNode | None = get_operation_ast(document, op_name)
        facts = None
        if operation is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            names = frozenset(_root_field_names(operation.selection_set, fragments, set()))
            facts = _OperationFacts(
                names, bool(names & {"__schema", "__type"}), operation.operation.value
            )
        if len(self._facts_cache) > 4096:
            self._facts_cache.clear()
        self._facts_cache[key] = facts
        return facts

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        headers: dict[bytes, bytes],
        request_id: str,
        span: RequestSpan | None = None,
    ) -> tuple[int, dict[str, Any]]:
        method = scope.get("method", "GET")
        self._check_csrf(method, headers)
        payload = await self._payload(scope, receive, headers)

        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        try:
            principal = await self.verifier.principal(authorization)
        except AuthenticationError as exc:
            raise _Reply(
                401,
                [_error(str(exc), "UNAUTHENTICATED")],
                [(b"www-authenticate", b'Bearer error="invalid_token"')],
            ) from None
        if principal is None and self.config.require_authentication:
            raise _Reply(401, [_error("Log in first: send an access token.", "UNAUTHENTICATED")])
        ip = self._client_ip(scope, headers)
        if self.config.rate_limit:
            await self._rate_limit(
                self.buckets, f"user:{principal.sub}" if principal else f"ip:{ip}"
            )

        try:
            query = await self.persisted.resolve(payload)
        except PersistedQueryError as exc:
            raise _Reply(exc.status, [_error(exc.message, exc.code)]) from None
        if query is None:
            raise _Reply(400, [_error("Must provide a query string.", "BAD_REQUEST")])
        op_name = payload.get("operationName") or None
        try:
            self.limits.check_tokens(query)
        except LimitViolation as exc:
            raise _Reply(400, [_error(exc.message, exc.code)]) from None

        parsed = self.gateway.document(query)
        document = parsed[0]
        facts = None
        if document is not None and isinstance(op_name, str | None):
            facts = self._facts(query, document, op_name)
        if span is not None:
            span.describe(
                query,
                op_name if isinstance(op_name, str) else None,
                facts.op_type if facts is not None else None,
            )
        if self.safelist is not None and not self.safelist.allows(query, document):
            raise _Reply(
                400,
                [
                    _error(
                        "This operation is not in the safelist of persisted operations.",
                        "PERSISTED_QUERY_NOT_IN_LIST",
                    )
                ],
            )
        if facts is not None and document is not None:
            if facts.introspection and not self.config.introspection:
                raise _Reply(
                    400,
                    [
                        _error(
                            "GraphQL introspection is not allowed here.",
                            "INTROSPECTION_DISABLED",
                        )
                    ],
                )
            variables = payload.get("variables")
            try:
                self.limits.check(
                    query, document, op_name, variables if isinstance(variables, dict) else None
                )
            except LimitViolation as exc:
                raise _Reply(400, [_error(exc.message, exc.code)]) from None
            if self.config.rate_limit and facts.root_fields & self.login_fields:
                await self._rate_limit(self.login_buckets, f"ip:{ip}")

        forward: dict[str, str] = {"x-request-id": request_id}
        for name in self.propagate:
            value = headers.get(name)
            if value is not None:
                forward[name.decode("latin-1")] = value.decode("latin-1")
        if principal is not None:
            forward["Authorization"] = self.verifier.forwarded_authorization(principal)
        request = {**payload, "query": query}
        access = None
        if self.config.authorization and self.authorizer.enabled:
            access = Authorization(self.authorizer, self.authorizer.profile(principal))
        return await self.gateway.execute(
            request,
            forward,
            allow_mutations=method == "POST",
            authorization=access,
            parsed=parsed,
        )


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


def create_edge_app(
    gateway: Gateway,
    config: GatewayConfig,
    *,
    policies: Mapping[str, Policy] | None = None,
    redis: Redis | None = None,
    tracer_provider: TracerProvider | None = None,
) -> EdgeApp:
    """The ASGI app serving ``gateway`` behind the edge configured by ``config``.

    ``tracer_provider``: the OpenTelemetry provider of the spans (when tracing is on) instead
    of the one ``ASTRO_GATEWAY_TRACING_EXPORTER`` sets up."""
    return EdgeApp(gateway, config, policies=policies, redis=redis, tracer_provider=tracer_provider)


# Principal is part of the public surface of policies.
_ = Principal
