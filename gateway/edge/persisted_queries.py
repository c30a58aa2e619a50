"""Edge stage: persisted queries and the safelist (``APQ``, ``APQ_TTL_SECONDS``, ``SAFELIST``,
``OPERATIONS_MANIFEST``, ``SAFELIST_ALLOW_APQ_REGISTRATION``, ``REDIS_URL``).

The query text comes from the payload or, by its hash, from the APQ store or the manifest
(``gateway/persisted.py``); in safelist mode a text off the list is refused with
``PERSISTED_QUERY_NOT_IN_LIST`` before the engine parses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..context import Reply
from ..hooks import Hook
from ..persisted import PersistedQueries, PersistedQueryError, Safelist

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ..config import GatewayConfig
    from ..context import OperationContext

__all__ = ["Persisted"]

_NOT_IN_LIST = "This operation is not in the safelist of persisted operations."


class Persisted(Hook):
    """Sets ``ctx.query``."""

    def __init__(self, store: PersistedQueries, safelist: Safelist | None) -> None:
        self.store = store
        self.safelist = safelist

    @classmethod
    def from_config(cls, config: GatewayConfig, redis: Redis | None) -> Persisted:
        safelist = None
        if config.safelist:
            if config.operations_manifest is None:
                raise ValueError("safelist mode needs ASTRO_GATEWAY_OPERATIONS_MANIFEST")
            safelist = Safelist.load(config.operations_manifest)
        store = PersistedQueries(
            redis,
            ttl_seconds=config.apq_ttl_seconds,
            enabled=config.apq,
            safelist=safelist,
            allow_registration=config.safelist_allow_apq_registration or safelist is None,
        )
        return cls(store, safelist)

    async def on_request(self, ctx: OperationContext) -> None:
        try:
            query = await self.store.resolve(ctx.payload)
        except PersistedQueryError as exc:
            raise Reply.of(exc.status, exc.message, exc.code) from None
        if query is None:
            raise Reply.of(400, "Must provide a query string.", "BAD_REQUEST")
        if self.safelist is not None and not self.safelist.allows(query):
            raise Reply.of(400, _NOT_IN_LIST, "PERSISTED_QUERY_NOT_IN_LIST")
        ctx.query = query
