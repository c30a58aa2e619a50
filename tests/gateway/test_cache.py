"""The gateway's one cache helper: bounded, least recently looked-up out first, counted."""

from __future__ import annotations

from gateway.cache import LRU


def test_lookups_count_hits_and_misses() -> None:
    cache: LRU[str, int] = LRU(4)
    assert cache.lookup("a") is None
    cache.put("a", 1)
    assert cache.lookup("a") == 1
    assert cache.lookup("a") == 1
    assert (cache.hits, cache.misses, len(cache)) == (2, 1, 1)


def test_the_least_recently_looked_up_entry_is_evicted() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.lookup("a")
    cache.put("c", 3)
    assert set(cache) == {"a", "c"}
