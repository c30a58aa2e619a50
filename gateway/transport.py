"""A lean pooled HTTP/1.1 keep-alive client for subgraph POSTs (asyncio + httptools)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import httptools

__all__ = ["SubgraphClient", "TransportError"]


class TransportError(Exception):
    """The subgraph could not be reached or its answer was not a complete HTTP response."""


class _Connection(asyncio.Protocol):
    __slots__ = (
        "_body",
        "_done",
        "_parser",
        "_status",
        "closed",
        "keep_alive",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self._done: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []
        self._status = 0
        self._parser = httptools.HttpResponseParser(self)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"invalid HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(TransportError("connection closed by subgraph"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()
        done, self._done = self._done, None
        if done is not None and not done.done():
            done.set_result((self._status, b"".join(self._body)))
        self._body = []

    def _fail(self, exc: Exception) -> None:
        done, self._done = self._done, None
        if done is not None and not done.done():
            done.set_exception(exc)

    def request(self, payload: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._done = fut
        self._body = []
        self.transport.write(payload)
        return fut

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


_IDLE_SECONDS = 4.0  # below the 5 s keep-alive timeout of Node's http server


class _Pool:
    __slots__ = ("host", "idle", "port")

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.idle: list[tuple[_Connection, float]] = []

    def acquire_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self.idle:
            conn, since = self.idle.pop()
            if not conn.closed and now - since < _IDLE_SECONDS:
                return conn
            conn.close()
        return None

    async def connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(_Connection, self.host, self.port)
        return proto

    def release(self, conn: _Connection) -> None:
        if conn.closed or not conn.keep_alive or len(self.idle) >= 256:
            conn.close()
        else:
            self.idle.append((conn, time.monotonic()))


class SubgraphClient:
    """POSTs JSON bodies to subgraphs over pooled keep-alive connections.

    Identical requests in flight at the same time (same URL, body and forwarded headers)
    share one round-trip.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._pools: dict[tuple[str, int], _Pool] = {}
        self._inflight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Future[tuple[int, bytes]]
        ] = {}
        self._targets: dict[str, tuple[_Pool, bytes]] = {}

    def _target(self, url: str) -> tuple[_Pool, bytes]:
        got = self._targets.get(url)
        if got is None:
            parts = urlsplit(url)
            host = parts.hostname or "127.0.0.1"
            port = parts.port or (443 if parts.scheme == "https" else 80)
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            pool = self._pools.get((host, port))
            if pool is None:
                pool = self._pools[(host, port)] = _Pool(host, port)
            netloc = host if parts.port is None else f"{host}:{port}"
            head = f"POST {path} HTTP/1.1\r\nHost: {netloc}\r\n".encode("latin-1")
            got = self._targets[url] = (pool, head)
        return got

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        dedupe: bool = True,
    ) -> bytes:
        """POST `body` as JSON and return the response body (any status).

        With `dedupe`, an identical request already in flight is shared instead of sent
        again; never use it for mutations.
        """
        return (await self.request(url, body, headers, dedupe=dedupe))[1]

    async def request(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        dedupe: bool = True,
    ) -> tuple[int, bytes]:
        """Like :meth:`post`, with the HTTP status of the answer: ``(status, body)``."""
        hdrs = tuple(sorted(headers.items())) if headers else ()
        if not dedupe:
            return await self._post(url, body, hdrs)
        key = (url, body, hdrs)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            result = await self._post(url, body, hdrs)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved when nobody else waits
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            del self._inflight[key]

    async def _post(
        self, url: str, body: bytes, headers: tuple[tuple[str, str], ...]
    ) -> tuple[int, bytes]:
        pool, head = self._target(url)
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("latin-1")
        payload = b"".join(
            (
                head,
                b"Content-Type: application/json\r\nAccept: application/json\r\n",
                extra,
                b"Content-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        for attempt in range(2):
            conn = pool.acquire_idle() if attempt == 0 else None
            reused = conn is not None
            if conn is None:
                try:
                    conn = await pool.connect()
                except OSError as exc:
                    raise TransportError(f"cannot connect to {url}: {exc}") from exc
            try:
                status, data = await asyncio.wait_for(conn.request(payload), self.timeout)
            except TransportError:
                conn.close()
                if reused and attempt == 0:
                    continue  # a keep-alive connection the server had closed: retry fresh
                raise
            except TimeoutError as exc:
                conn.close()
                raise TransportError(f"timeout calling {url}") from exc
            except BaseException:
                conn.close()
                raise
            pool.release(conn)
            return status, data
        raise TransportError(f"cannot reach {url}")

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for pool in self._pools.values():
            for conn, _ in pool.idle:
                conn.close()
            pool.idle.clear()
