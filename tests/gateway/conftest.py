"""Fixtures: the test subgraphs served over real HTTP, and gateways in front of them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from gateway.app import Gateway

from .subgraphs import STEPS, CountingApp, build_apps

SUPERGRAPH = (Path(__file__).parent / "supergraph.graphql").read_text(encoding="utf-8")


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _closed_port_url() -> str:
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/graphql"


def supergraph_with(urls: dict[str, str]) -> str:
    sdl = SUPERGRAPH
    for name, url in urls.items():
        sdl = sdl.replace("{" + name + "}", url)
    return sdl


@pytest.fixture(scope="session")
async def subgraphs() -> AsyncIterator[dict[str, tuple[str, CountingApp]]]:
    """Each subgraph's URL and (call-counting) app, served by uvicorn on a free port."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    out: dict[str, tuple[str, CountingApp]] = {}
    for name, app in build_apps().items():
        sock = _free_socket()
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        servers.append((server, task))
        out[name] = (f"http://127.0.0.1:{port}/graphql", app)
    for server, _ in servers:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
    yield out
    for server, _ in servers:
        server.should_exit = True
    await asyncio.gather(*(task for _, task in servers))


@pytest.fixture(scope="session")
def supergraph_sdl(subgraphs: dict[str, tuple[str, CountingApp]]) -> str:
    return supergraph_with({name: url for name, (url, _) in subgraphs.items()})


@pytest.fixture
def gateway(supergraph_sdl: str) -> Gateway:
    return Gateway(supergraph_sdl)


@pytest.fixture
def gateway_with_rockets_down(subgraphs: dict[str, tuple[str, CountingApp]]) -> Gateway:
    urls = {name: url for name, (url, _) in subgraphs.items()}
    urls["rockets"] = _closed_port_url()
    return Gateway(supergraph_with(urls))


@pytest.fixture
def steps() -> list[str]:
    STEPS.clear()
    return STEPS
