"""The gateway's entry points: ASGI apps over a supergraph, and serving them with uvicorn.

``create_app(sdl)`` serves the engine alone (``gateway/server.py``); with a config, behind the
edge (``gateway/edge/``). Both take hooks (``gateway/hooks.py``).
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from .config import GatewayConfig
from .context import error
from .edge import create_edge_app
from .engine import Engine
from .hooks import Hook
from .server import ASGIApp, Receive, Scope, Send, lifespan, respond, serve_graphql
from .transport import SubgraphClient

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider
    from redis.asyncio import Redis

    from .authorization import Policy

__all__ = ["Gateway", "create_app", "create_multi_app", "run_gateway", "run_multi_gateway"]

#: The engine's former name (the conformance harness and older callers use it).
Gateway = Engine


def create_app(
    supergraph_sdl: str,
    config: GatewayConfig | None = None,
    *,
    hooks: Sequence[Hook] = (),
    policies: Mapping[str, Policy] | None = None,
    redis: Redis | None = None,
    tracer_provider: TracerProvider | None = None,
) -> ASGIApp:
    """ASGI app serving the supergraph at `/graphql` (POST JSON, or GET).

    With `config`, the edge (``gateway/edge/``: auth, authorization, limits, ...) serves it;
    `policies`, `redis` and `tracer_provider` are the edge's. `hooks` run in every request."""
    if config is not None:
        return create_edge_app(
            supergraph_sdl,
            config,
            hooks=hooks,
            policies=policies,
            redis=redis,
            tracer_provider=tracer_provider,
        )
    engine = Engine(supergraph_sdl, hooks=hooks)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send, engine.client)
            return
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/")
        if path in ("/graphql", ""):
            await serve_graphql(engine, scope, receive, send)
        elif path == "/healthz":
            await respond(send, 200, b'{"status":"ok"}', b"application/json")
        else:
            await respond(send, 404, b"not found", b"text/plain")

    return app


def _fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return str(resp.read().decode("utf-8"))


def create_multi_app(supergraph_url_template: str) -> ASGIApp:
    """Dev app serving `/{suite}/graphql`, each suite's supergraph loaded lazily from
    `supergraph_url_template.format(suite=...)` and its engine cached."""
    client = SubgraphClient()
    engines: dict[str, Engine] = {}
    locks: dict[str, asyncio.Lock] = {}

    async def engine_for(suite: str) -> Engine:
        engine = engines.get(suite)
        if engine is not None:
            return engine
        lock = locks.setdefault(suite, asyncio.Lock())
        async with lock:
            engine = engines.get(suite)
            if engine is None:
                url = supergraph_url_template.format(suite=suite)
                sdl = await asyncio.to_thread(_fetch_text, url)
                engine = engines[suite] = Engine(sdl, client=client)
        return engine

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send, client)
            return
        if scope["type"] != "http":
            return
        parts = scope["path"].strip("/").split("/")
        if len(parts) != 2 or parts[1] != "graphql":
            await respond(send, 404, b"not found", b"text/plain")
            return
        try:
            engine = await engine_for(parts[0])
        except Exception as exc:
            body = {"errors": [error(f"Cannot load supergraph: {exc}", "INTERNAL_SERVER_ERROR")]}
            await respond(send, 502, orjson.dumps(body), b"application/json")
            return
        await serve_graphql(engine, scope, receive, send)

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
