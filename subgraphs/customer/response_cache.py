"""Whole-response cache for visitors' GraphQL queries, in front of the customer subgraph.

Everything a visitor (a request without ``Authorization``) can read here is the catalog, so a
visitor's query answer depends only on the catalog: it is cached in Redis under the catalog's
generation (see :mod:`subgraphs.customer.cache`), keyed by the request body, and a hit is served
without parsing or executing anything. Mutations, errors and logged-in callers are never cached.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

import orjson
from arq.connections import ArqRedis
from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from astro.settings import Settings
from subgraphs.customer.cache import TTL_SECONDS, catalog_prefix

log = logging.getLogger(__name__)

_MAX_BODY = 64 * 1024


def _cacheable_request(body: bytes) -> bool:
    try:
        request = orjson.loads(body)
        document = parse(request["query"])
    except (orjson.JSONDecodeError, KeyError, TypeError, GraphQLError):
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return len(operations) == 1 and operations[0].operation == OperationType.QUERY


class VisitorResponseCache:
    """ASGI middleware: serve and store visitors' ``POST /graphql`` query answers."""

    def __init__(
        self, app: ASGIApp, settings: Settings, redis: Callable[[], ArqRedis | None]
    ) -> None:
        self.app = app
        self.settings = settings
        self.redis = redis

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        redis = self.redis()
        if (
            redis is None
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != "/graphql"
            or any(name == b"authorization" for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        replay = _replay(body)
        if len(body) > _MAX_BODY:
            await self.app(scope, replay, send)
            return
        prefix = catalog_prefix(self.settings)
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        try:
            generation = int(await redis.get(f"{prefix}:generation") or 0)
            key = f"{prefix}:{generation}:response:{digest}"
            hit = await redis.get(key)
        except RedisError:
            log.warning("response cache unavailable", exc_info=True)
            await self.app(scope, replay, send)
            return
        if hit is not None:
            await _send_json(send, bytes(hit))
            return
        captured = _Capture(send)
        await self.app(scope, replay, captured)
        if captured.cacheable() and _cacheable_request(body):
            try:
                await redis.set(key, captured.body, ex=TTL_SECONDS)
            except RedisError:
                log.warning("could not cache a response", exc_info=True)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send_json(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Capture:
    """Passes the response through and keeps a copy of a 200's body."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
        await self._send(message)

    def cacheable(self) -> bool:
        return self.status == 200 and b'"errors"' not in self.body
