"""Rate limiting: a token bucket per caller in Redis (one atomic script per request).

The caller is the user (``sub``) when logged in, else the client IP. Each bucket holds up to
``burst`` tokens and refills at ``rate`` tokens per second; a request takes one. Login-like
operations use their own, stricter bucket per IP. Without Redis the buckets live in memory
(one process only). When Redis fails the limiter lets the request through and logs it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["Decision", "TokenBucket"]

log = logging.getLogger("astro.gateway.ratelimit")

_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(retry), tostring(tokens)}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float
    remaining: int


class TokenBucket:
    """Buckets of ``burst`` tokens refilled at ``rate`` per second, keyed by caller."""

    def __init__(
        self, redis: Redis | None, *, rate: float, burst: int, prefix: str = "astro:rl:"
    ) -> None:
        self.redis = redis
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self._script = redis.register_script(_SCRIPT) if redis is not None else None
        self._local: dict[str, tuple[float, float]] = {}

    async def take(self, key: str, cost: int = 1) -> Decision:
        """Take ``cost`` tokens from ``key``'s bucket."""
        if self._script is not None:
            try:
                allowed, retry, tokens = await self._script(
                    keys=[self.prefix + key], args=[self.rate, self.burst, cost]
                )
            except RedisError as exc:
                log.warning("rate limiter unavailable, letting the request through: %s", exc)
                return Decision(True, 0.0, self.burst)
            return Decision(bool(int(allowed)), float(retry), int(float(tokens)))
        return self._take_local(key, cost)

    def _take_local(self, key: str, cost: int) -> Decision:
        now = time.monotonic()
        tokens, ts = self._local.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - ts) * self.rate)
        if tokens >= cost:
            self._local[key] = (tokens - cost, now)
            return Decision(True, 0.0, math.floor(tokens - cost))
        self._local[key] = (tokens, now)
        if len(self._local) > 100_000:
            self._local.clear()
        return Decision(False, (cost - tokens) / self.rate, 0)
