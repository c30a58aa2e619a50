"""The pooled subgraph HTTP client against small hand-written HTTP servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from gateway.transport import SubgraphClient, TransportError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/graphql"


@pytest.fixture
async def client() -> AsyncIterator[SubgraphClient]:
    c = SubgraphClient(timeout=2.0)
    yield c
    await c.aclose()


async def test_chunked_responses_are_reassembled(client: SubgraphClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await _read_request(reader)
            except asyncio.IncompleteReadError:
                break
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
            )
            await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        assert await client.post(url, b"{}") == b'{"a": 1}'
        assert await client.post(url, b"{}") == b'{"a": 1}'


async def test_connections_are_kept_alive_and_reopened_when_closed(
    client: SubgraphClient,
) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        body = await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        # One answer per connection, then close: the idle pooled connection goes stale.
        writer.close()

    server, url = await _serve(handler)
    async with server:
        assert await client.post(url, b'{"n":1}') == b'{"n":1}'
        await asyncio.sleep(0.05)
        assert await client.post(url, b'{"n":2}') == b'{"n":2}'
    assert connections == 2


async def test_identical_requests_in_flight_share_one_round_trip(client: SubgraphClient) -> None:
    requests = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        while True:
            try:
                body = await _read_request(reader)
            except asyncio.IncompleteReadError:
                break
            requests += 1
            await asyncio.sleep(0.05)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        answers = await asyncio.gather(*(client.post(url, b'{"q":1}') for _ in range(5)))
        assert answers == [b'{"q":1}'] * 5
        assert requests == 1
        await asyncio.gather(*(client.post(url, b'{"m":1}', dedupe=False) for _ in range(3)))
        assert requests == 4


async def test_unreachable_subgraph_raises_transport_error(client: SubgraphClient) -> None:
    server, url = await _serve(lambda r, w: asyncio.sleep(0))
    server.close()
    await server.wait_closed()
    with pytest.raises(TransportError):
        await client.post(url, b"{}")
