"""ASGI application: one GraphQL endpoint in front of the subgraphs of a supergraph."""

from __future__ import annotations

import asyncio
import urllib.request
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from .api_schema import build_api_schema
from .authorization import Authorization
from .config import GatewayConfig
from .executor import execute_plan
from .planner import PlanningError, PreparedOperation, QueryPlanner
from .supergraph import Supergraph, parse_supergraph
from .tracing import Tracing
from .transport import SubgraphClient

__all__ = ["Gateway", "create_app", "create_multi_app", "run_gateway", "run_multi_gateway"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CONSOLE = Path(__file__).with_name("console") / "index.html"
_DOC_CACHE_SIZE = 1024


#: A query's document (``None`` when invalid), its errors and the HTTP status for them.
ParsedDocument = tuple[DocumentNode | None, list[dict[str, Any]], int]


def _error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


class _LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.hits = 0
        self.misses = 0

    def lookup(self, key: Any) -> Any:
        """The value of ``key`` (now the most recent), counting hits and misses (``/metrics``)."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)


class Gateway:
    """The gateway for one supergraph: validation, planning, execution and shaping."""

    def __init__(self, supergraph_sdl: str, client: SubgraphClient | None = None) -> None:
        self.supergraph: Supergraph = parse_supergraph(supergraph_sdl)
        self.api_schema: GraphQLSchema = build_api_schema(self.supergraph.document)
        self.planner = QueryPlanner(self.supergraph, self.api_schema)
        self.client = client or SubgraphClient()
        self._documents: _LRU = _LRU(_DOC_CACHE_SIZE)
        self._prepared: _LRU = _LRU(_DOC_CACHE_SIZE)
        #: OpenTelemetry spans of subgraph fetches (set by the edge when tracing is on).
        self.tracing: Tracing | None = None

    def document(self, query: str) -> ParsedDocument:
        """The parsed and validated document of ``query``, or its errors and HTTP status
        (cached)."""
        hit: ParsedDocument | None = self._documents.lookup(query)
        if hit is None:
            try:
                doc = parse(query)
            except GraphQLError as exc:
                hit = (None, [_error(exc.message, "GRAPHQL_PARSE_FAILED")], 400)
            else:
                errs = validate(self.api_schema, doc)
                if errs:
                    hit = (
                        None,
                        [_error(e.message, "GRAPHQL_VALIDATION_FAILED") for e in errs],
                        400,
                    )
                else:
                    hit = (doc, [], 200)
            self._documents.put(query, hit)
        return hit

    async def execute(
        self,
        payload: Any,
        headers: dict[str, str] | None = None,
        *,
        allow_mutations: bool = True,
        authorization: Authorization | None = None,
        parsed: ParsedDocument | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run one GraphQL request body; returns the HTTP status and the response body.

        `headers` are forwarded to every subgraph request (e.g. `Authorization`).
        `authorization` filters the operation for the caller before planning (the edge).
        `parsed`: :meth:`document` of the body's query, when the caller already has it.
        """
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return 400, {"errors": [_error("Must provide a query string.", "BAD_REQUEST")]}
        query: str = payload["query"]
        op_name = payload.get("operationName") or None
        if op_name is not None and not isinstance(op_name, str):
            return 400, {"errors": [_error("operationName must be a string.", "BAD_REQUEST")]}
        raw_vars = payload.get("variables") or {}
        if not isinstance(raw_vars, dict):
            return 400, {"errors": [_error("Variables must be an object.", "BAD_REQUEST")]}
        doc, errors, status = parsed if parsed is not None else self.document(query)
        if doc is None:
            return status, {"errors": errors}
        source = doc
        authz = authorization.apply(query, doc, op_name) if authorization else None
        if authz is not None:
            if authz.rejected:
                return 200, {"errors": list(authz.errors)}
            doc = authz.document
        key = (query, op_name) if authz is None else (query, op_name, authz.profile)
        prepared: PreparedOperation | None = self._prepared.lookup(key)
        if prepared is None:
            operation = get_operation_ast(doc, op_name)
            if operation is None:
                msg = "Unknown operation." if op_name else "Must provide operation name."
                return 400, {"errors": [_error(msg, "GRAPHQL_VALIDATION_FAILED")]}
            prepared = PreparedOperation.from_document(doc, operation)
            if authz is not None and authz.removed:
                prepared.restore_removed(source, op_name, authz.removed)
            self._prepared.put(key, prepared)
        if prepared.op_type == "mutation" and not allow_mutations:
            msg = "Mutations cannot be sent with GET."
            return 405, {"errors": [_error(msg, "BAD_REQUEST")]}
        coercion = get_variable_values(self.api_schema, prepared.variable_definitions, raw_vars)
        if isinstance(coercion, list):
            return 400, {"errors": [_error(e.message, "BAD_USER_INPUT") for e in coercion]}
        coerced: dict[str, Any] = coercion.coerced
        if _is_introspection(prepared.operation):
            result = execute(self.api_schema, doc, variable_values=raw_vars, operation_name=op_name)
            assert not isinstance(result, Awaitable)
            return 200, dict(result.formatted)
        try:
            planned = self.planner.plan(key, prepared, coerced)
        except PlanningError as exc:
            return 200, {"data": None, "errors": [_error(str(exc), "QUERY_PLANNING_FAILED")]}
        except Exception as exc:  # a planner bug must not kill the server
            return 500, {
                "data": None,
                "errors": [_error(f"Internal error: {exc!r}", "INTERNAL_SERVER_ERROR")],
            }
        try:
            data, errs = await execute_plan(
                planned.node, self.client, coerced, headers, self.tracing
            )
            out = planned.shape.apply(data, errs)
            if authz is not None:
                out = authz.complete(out, errs)
        except Exception as exc:  # an executor bug must not kill the server
            return 500, {
                "data": None,
                "errors": [_error(f"Internal error: {exc!r}", "INTERNAL_SERVER_ERROR")],
            }
        body: dict[str, Any] = {"data": out}
        if errs:
            body["errors"] = errs
        return 200, body


def _is_introspection(operation: OperationDefinitionNode) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value in ("__schema", "__type")
        for s in operation.selection_set.selections
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send, client: SubgraphClient) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _serve_graphql(gateway: Gateway, scope: Scope, receive: Receive, send: Send) -> None:
    method = scope.get("method", "GET")
    req_headers = dict(scope.get("headers") or ())
    forward: dict[str, str] = {}
    auth = req_headers.get(b"authorization")
    if auth:
        forward["Authorization"] = auth.decode("latin-1")
    if method == "POST":
        raw = await _read_body(receive)
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = {"errors": [_error("Body is not valid JSON.", "BAD_REQUEST")]}
            await _respond(send, 400, orjson.dumps(body), b"application/json")
            return
    elif method == "GET":
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "query" not in params:
            accept = req_headers.get(b"accept", b"")
            if b"text/html" in accept:
                await _respond(send, 200, _CONSOLE.read_bytes(), b"text/html; charset=utf-8")
            else:
                body = {"errors": [_error("Must provide a query string.", "BAD_REQUEST")]}
                await _respond(send, 400, orjson.dumps(body), b"application/json")
            return
        payload = {"query": params["query"][0]}
        if "operationName" in params:
            payload["operationName"] = params["operationName"][0]
        if "variables" in params:
            try:
                payload["variables"] = orjson.loads(params["variables"][0])
            except orjson.JSONDecodeError:
                payload["variables"] = "invalid"
    else:
        await _respond(send, 405, b"", b"text/plain")
        return
    status, result = await gateway.execute(
        payload, forward or None, allow_mutations=method == "POST"
    )
    await _respond(send, status, orjson.dumps(result), b"application/json")


def create_app(supergraph_sdl: str, config: GatewayConfig | None = None) -> ASGIApp:
    """ASGI app serving the supergraph at `/graphql` (POST JSON, or GET).

    With `config`, the edge (gateway/edge.py: auth, authorization, limits, ...) serves it."""
    gateway = Gateway(supergraph_sdl)
    if config is not None:
        from .edge import create_edge_app

        return create_edge_app(gateway, config)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, gateway.client)
            return
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/")
        if path in ("/graphql", ""):
            await _serve_graphql(gateway, scope, receive, send)
        elif path == "/healthz":
            await _respond(send, 200, b'{"status":"ok"}', b"application/json")
        else:
            await _respond(send, 404, b"not found", b"text/plain")

    return app


def _fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return str(resp.read().decode("utf-8"))


def create_multi_app(supergraph_url_template: str) -> ASGIApp:
    """Dev app serving `/{suite}/graphql`, each suite's supergraph loaded lazily from
    `supergraph_url_template.format(suite=...)` and its gateway cached."""
    client = SubgraphClient()
    gateways: dict[str, Gateway] = {}
    locks: dict[str, asyncio.Lock] = {}

    async def gateway_for(suite: str) -> Gateway:
        gw = gateways.get(suite)
        if gw is not None:
            return gw
        lock = locks.setdefault(suite, asyncio.Lock())
        async with lock:
            gw = gateways.get(suite)
            if gw is None:
                url = supergraph_url_template.format(suite=suite)
                sdl = await asyncio.to_thread(_fetch_text, url)
                gw = gateways[suite] = Gateway(sdl, client)
        return gw

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, client)
            return
        if scope["type"] != "http":
            return
        parts = scope["path"].strip("/").split("/")
        if len(parts) != 2 or parts[1] != "graphql":
            await _respond(send, 404, b"not found", b"text/plain")
            return
        try:
            gw = await gateway_for(parts[0])
        except Exception as exc:
            body = {"errors": [_error(f"Cannot load supergraph: {exc}", "INTERNAL_SERVER_ERROR")]}
            await _respond(send, 502, orjson.dumps(body), b"application/json")
            return
        await _serve_graphql(gw, scope, receive, send)

    return app


def _serve(app: ASGIApp, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        workers=1,
        lifespan="on",
    )


def run_gateway(
    supergraph_path: str,
    host: str = "127.0.0.1",
    port: int = 4000,
    config: GatewayConfig | None = None,
) -> None:
    """Serve the supergraph in `supergraph_path` with uvicorn (uvloop + httptools)."""
    sdl = Path(supergraph_path).read_text(encoding="utf-8")
    _serve(create_app(sdl, config), host, port)


def run_multi_gateway(template: str, host: str = "127.0.0.1", port: int = 4000) -> None:
    """Serve `create_multi_app(template)` with uvicorn."""
    _serve(create_multi_app(template), host, port)
