"""The one cache of the gateway: a bounded LRU that counts its hits and misses.

Every per-query memo (documents, operations, plans, authorization decisions, the APQ texts, the
token counts, the safelist verdicts) is one :class:`LRU`, so ``/metrics`` reads the same three
figures from each (``astro_gateway_cache_{hits,misses}_total``, ``astro_gateway_cache_entries``)
and no cache grows without bound. Counting is two integer increments: nothing else is added to a
lookup on the request path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Protocol, TypeVar

__all__ = ["LRU", "CacheStats"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CacheStats(Protocol):
    """What ``/metrics`` reads of a cache."""

    @property
    def hits(self) -> int: ...

    @property
    def misses(self) -> int: ...

    def __len__(self) -> int: ...


class LRU(OrderedDict[K, V]):
    """At most ``size`` entries, the least recently looked-up one evicted first.

    ``None`` is not a cacheable value: :meth:`lookup` answers ``None`` for a miss."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.hits = 0
        self.misses = 0

    def lookup(self, key: K) -> V | None:
        """The value of ``key`` (now the most recent), counting a hit or a miss."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return value

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` under ``key``, evicting the oldest entry when over ``size``."""
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
