"""Edge stage: the GraphQL request out of the HTTP request (``MAX_BODY_BYTES``).

POST: a JSON object body (no batches), refused with 413 ``PAYLOAD_TOO_LARGE`` past the limit
(declared or streamed); GET: the URL's parameters, ``variables`` and ``extensions`` as JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from ..context import Reply
from ..hooks import Hook

if TYPE_CHECKING:
    from ..config import GatewayConfig
    from ..context import OperationContext, Receive

__all__ = ["Body"]


class Body(Hook):
    """Fills ``ctx.payload``."""

    def __init__(self, max_bytes: int) -> None:
        self.limit = max_bytes
        self.too_large = f"The request body is over {max_bytes} bytes."

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Body:
        return cls(config.max_body_bytes or 0)

    async def read(self, receive: Receive, declared: bytes | None) -> bytes:
        limit = self.limit
        if limit and declared is not None and declared.isdigit() and int(declared) > limit:
            raise Reply.of(413, self.too_large, "PAYLOAD_TOO_LARGE")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit and size > limit:
                raise Reply.of(413, self.too_large, "PAYLOAD_TOO_LARGE")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def on_request(self, ctx: OperationContext) -> None:
        if ctx.payload is not None:
            return
        if ctx.method == "POST":
            assert ctx.receive is not None
            raw = await self.read(ctx.receive, ctx.headers.get(b"content-length"))
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise Reply.of(400, "Body is not valid JSON.", "BAD_REQUEST") from None
            if not isinstance(payload, dict):
                raise Reply.of(400, "Batched requests are not supported.", "BAD_REQUEST")
            ctx.payload = payload
            return
        if ctx.method != "GET":
            raise Reply.of(405, "Use GET or POST.", "METHOD_NOT_ALLOWED")
        params = parse_qs(ctx.query_string.decode("latin-1"))
        got: dict[str, Any] = {k: v[0] for k, v in params.items()}
        for key in ("variables", "extensions"):
            if key in got:
                try:
                    got[key] = orjson.loads(got[key])
                except orjson.JSONDecodeError:
                    raise Reply.of(400, f"{key} is not valid JSON.", "BAD_REQUEST") from None
        ctx.payload = got
