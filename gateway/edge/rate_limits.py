"""Edge stages: rate limits (``RATE_LIMIT``, ``RATE_LIMIT_PER_SECOND``, ``RATE_LIMIT_BURST``,
``LOGIN_RATE_LIMIT_*``, ``LOGIN_FIELDS``, ``REDIS_URL``).

Every request takes a token from its caller's bucket (the user when authenticated, else the
client IP) before anything is parsed; an operation selecting a login field at its root also
takes one from the IP's stricter login bucket, once the operation is known. An empty bucket is
429 ``RATE_LIMITED`` with ``Retry-After``. The buckets are ``gateway/ratelimit.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..context import Reply, error
from ..hooks import Hook
from ..ratelimit import TokenBucket

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ..config import GatewayConfig
    from ..context import OperationContext
    from ..metrics import Metrics

__all__ = ["LoginRateLimit", "RateLimit"]


async def _take(bucket: TokenBucket, key: str, metrics: Metrics) -> None:
    decision = await bucket.take(key)
    if decision.allowed:
        return
    retry = max(1, int(decision.retry_after + 0.999))
    metrics.rate_limited.inc()
    raise Reply(
        429,
        [error("Too many requests; retry later.", "RATE_LIMITED", retryAfter=retry)],
        [(b"retry-after", str(retry).encode())],
    )


class RateLimit(Hook):
    """One token per request from the caller's bucket."""

    def __init__(self, buckets: TokenBucket, metrics: Metrics) -> None:
        self.buckets = buckets
        self.metrics = metrics

    @classmethod
    def from_config(
        cls, config: GatewayConfig, redis: Redis | None, metrics: Metrics
    ) -> RateLimit | None:
        if not config.rate_limit:
            return None
        buckets = TokenBucket(
            redis, rate=config.rate_limit_per_second, burst=config.rate_limit_burst
        )
        return cls(buckets, metrics)

    async def on_request(self, ctx: OperationContext) -> None:
        principal = ctx.principal
        key = f"user:{principal.sub}" if principal else f"ip:{ctx.client_ip}"
        await _take(self.buckets, key, self.metrics)


class LoginRateLimit(Hook):
    """One more token from the IP's login bucket for an operation with a login root field."""

    def __init__(self, buckets: TokenBucket, fields: frozenset[str], metrics: Metrics) -> None:
        self.buckets = buckets
        self.fields = fields
        self.metrics = metrics

    @classmethod
    def from_config(
        cls, config: GatewayConfig, redis: Redis | None, metrics: Metrics
    ) -> LoginRateLimit | None:
        if not config.rate_limit:
            return None
        buckets = TokenBucket(
            redis,
            rate=config.login_rate_limit_per_second,
            burst=config.login_rate_limit_burst,
            prefix="astro:rl:login:",
        )
        return cls(buckets, frozenset(config.login_fields), metrics)

    async def on_operation(self, ctx: OperationContext) -> None:
        facts = ctx.facts
        if facts is not None and not self.fields.isdisjoint(facts.root_fields):
            await _take(self.buckets, f"ip:{ctx.client_ip}", self.metrics)
