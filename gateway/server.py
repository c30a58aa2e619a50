"""The engine served alone over HTTP (no edge): ``/graphql`` (POST JSON or GET) and ``/healthz``.

What ``create_app(sdl)`` without a config serves (the conformance audit uses it): the caller's
``Authorization`` is passed to the subgraphs as is, nothing else is checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from .context import OperationContext, error

if TYPE_CHECKING:
    from .engine import Engine
    from .transport import SubgraphClient

__all__ = ["ASGIApp", "Receive", "Scope", "Send", "lifespan", "respond", "serve_graphql"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CONSOLE = Path(__file__).with_name("console") / "index.html"


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
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


async def lifespan(receive: Receive, send: Send, client: SubgraphClient) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def serve_graphql(engine: Engine, scope: Scope, receive: Receive, send: Send) -> None:
    """One GraphQL request to ``engine``."""
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
            body = {"errors": [error("Body is not valid JSON.", "BAD_REQUEST")]}
            await respond(send, 400, orjson.dumps(body), b"application/json")
            return
    elif method == "GET":
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "query" not in params:
            accept = req_headers.get(b"accept", b"")
            if b"text/html" in accept:
                await respond(send, 200, _CONSOLE.read_bytes(), b"text/html; charset=utf-8")
            else:
                body = {"errors": [error("Must provide a query string.", "BAD_REQUEST")]}
                await respond(send, 400, orjson.dumps(body), b"application/json")
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
        await respond(send, 405, b"", b"text/plain")
        return
    ctx = OperationContext(
        method=method, headers=req_headers, payload=payload, forward=forward or None
    )
    await engine.run(ctx)
    await respond(send, ctx.status, orjson.dumps(ctx.body), b"application/json")
