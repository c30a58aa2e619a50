"""Serve a set of small subgraphs over real HTTP and put a gateway in front of them.

Each subgraph app logs the GraphQL requests it receives, so a test can assert exactly which
subgraphs one client operation reached, how often, and with which representations.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import strawberry
import uvicorn
from strawberry.asgi import GraphQL

from gateway.app import Gateway
from gateway.compose import Subgraph, compose

__all__ = ["Call", "LoggedSubgraph", "World", "serve"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Call:
    """One GraphQL request a subgraph received."""

    query: str
    variables: dict[str, Any]

    @property
    def representations(self) -> list[dict[str, Any]]:
        reps: list[dict[str, Any]] = self.variables.get("representations", [])
        return reps


@dataclass(slots=True)
class LoggedSubgraph:
    """A Strawberry subgraph as an ASGI app that records every GraphQL request."""

    schema: strawberry.federation.Schema
    calls: list[Call] = field(default_factory=list)
    app: GraphQL[Any, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.app = GraphQL(self.schema)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if body:
            payload = json.loads(body)
            self.calls.append(Call(payload["query"], payload.get("variables") or {}))

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class World:
    """A gateway in front of running subgraphs, with the request log of the last operation."""

    def __init__(self, gateway: Gateway, subgraphs: dict[str, LoggedSubgraph]) -> None:
        self.gateway = gateway
        self.subgraphs = subgraphs

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one client operation (the request log is cleared first)."""
        for sub in self.subgraphs.values():
            sub.calls.clear()
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        _, body = await self.gateway.execute(payload)
        return body

    def calls(self) -> dict[str, int]:
        """Requests per subgraph made by the last operation (subgraphs not called left out)."""
        return {name: len(sub.calls) for name, sub in self.subgraphs.items() if sub.calls}

    def log(self, name: str) -> list[Call]:
        return self.subgraphs[name].calls


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve(
    schemas: dict[str, strawberry.federation.Schema],
    supergraph: Callable[[dict[str, str]], str] | None = None,
) -> AsyncIterator[World]:
    """Serve `schemas` with uvicorn on free ports and build a gateway for them.

    The supergraph is composed from the subgraphs' own SDL unless `supergraph` is given
    (it receives each subgraph's URL and returns a hand-written supergraph SDL).
    """
    subgraphs = {name: LoggedSubgraph(schema) for name, schema in schemas.items()}
    urls: dict[str, str] = {}
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    for name, sub in subgraphs.items():
        sock = _free_socket()
        urls[name] = f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
        server = uvicorn.Server(uvicorn.Config(sub, log_level="warning", lifespan="off"))
        servers.append((server, asyncio.create_task(server.serve(sockets=[sock]))))
    try:
        for server, task in servers:
            while not server.started:
                if task.done():
                    raise RuntimeError("a test subgraph failed to start")
                await asyncio.sleep(0.005)
        if supergraph is None:
            sdl = compose(
                [Subgraph(name, urls[name], schema.as_str()) for name, schema in schemas.items()]
            )
        else:
            sdl = supergraph(urls)
        gateway = Gateway(sdl)
        try:
            yield World(gateway, subgraphs)
        finally:
            await gateway.client.aclose()
    finally:
        for server, _ in servers:
            server.should_exit = True
        await asyncio.gather(*(task for _, task in servers))
