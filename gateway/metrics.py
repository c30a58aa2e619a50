"""Prometheus metrics in the text exposition format (no dependency).

``Metrics.render()`` is what ``GET /metrics`` serves. Request, error and fetch figures are
counted per request; cache hits and misses are plain integers kept by the caches themselves
(every cache is a ``gateway/cache.py`` LRU; read only when ``/metrics`` is scraped). Tracing is
``gateway/tracing.py``.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Mapping

__all__ = ["CacheCounts", "Metrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]

#: cache name → (hits, misses, entries)
CacheCounts = Mapping[str, tuple[int, int, int]]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + inner + "}"


class _Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.values: dict[Labels, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        self.values[key] = self.values.get(key, 0.0) + amount

    def render(self) -> Iterator[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self.values.items()):
            yield f"{self.name}{_labels(labels)} {value:g}"


class _Histogram:
    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.values: dict[Labels, list[float]] = {}  # bucket counts..., sum, count

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        row = self.values.get(key)
        if row is None:
            row = self.values[key] = [0.0] * (len(_BUCKETS) + 2)
        i = bisect.bisect_left(_BUCKETS, value)
        if i < len(_BUCKETS):
            row[i] += 1
        row[-2] += value
        row[-1] += 1

    def render(self) -> Iterator[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, row in sorted(self.values.items()):
            cumulative = 0.0
            for bound, n in zip(_BUCKETS, row, strict=False):
                cumulative += n
                le = (*labels, ("le", f"{bound:g}"))
                yield f"{self.name}_bucket{_labels(le)} {cumulative:g}"
            yield f"{self.name}_bucket{_labels((*labels, ('le', '+Inf')))} {row[-1]:g}"
            yield f"{self.name}_sum{_labels(labels)} {row[-2]:.6f}"
            yield f"{self.name}_count{_labels(labels)} {row[-1]:g}"


class Metrics:
    """The gateway's counters and histograms."""

    def __init__(self) -> None:
        self.requests = _Counter("astro_gateway_requests_total", "HTTP requests by status.")
        self.errors = _Counter(
            "astro_gateway_graphql_errors_total", "GraphQL errors returned, by code."
        )
        self.latency = _Histogram(
            "astro_gateway_request_duration_seconds", "GraphQL request latency."
        )
        self.fetches = _Counter(
            "astro_gateway_subgraph_fetches_total", "Subgraph fetches by subgraph and outcome."
        )
        self.fetch_latency = _Histogram(
            "astro_gateway_subgraph_fetch_duration_seconds", "Subgraph fetch latency."
        )
        self.rate_limited = _Counter(
            "astro_gateway_rate_limited_total", "Requests refused by the rate limiter."
        )
        self.unauthorized = _Counter(
            "astro_gateway_unauthorized_fields_total",
            "Fields removed by field authorization.",
        )
        self.started = time.time()

    def render(
        self, gauges: Mapping[str, float] | None = None, caches: CacheCounts | None = None
    ) -> bytes:
        lines: list[str] = []
        for metric in (
            self.requests,
            self.errors,
            self.latency,
            self.fetches,
            self.fetch_latency,
            self.rate_limited,
            self.unauthorized,
        ):
            lines.extend(metric.render())
        if caches:
            for name, index, kind, help_text in (
                ("astro_gateway_cache_hits_total", 0, "counter", "Cache hits by cache."),
                ("astro_gateway_cache_misses_total", 1, "counter", "Cache misses by cache."),
                ("astro_gateway_cache_entries", 2, "gauge", "Entries held by each cache."),
            ):
                lines.append(f"# HELP {name} {help_text}")
                lines.append(f"# TYPE {name} {kind}")
                for cache, counts in sorted(caches.items()):
                    lines.append(f"{name}{_labels((('cache', cache),))} {counts[index]}")
        lines.append("# HELP astro_gateway_start_time_seconds Start time of the process.")
        lines.append("# TYPE astro_gateway_start_time_seconds gauge")
        lines.append(f"astro_gateway_start_time_seconds {self.started:.3f}")
        for name, value in (gauges or {}).items():
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {value:g}")
        return ("\n".join(lines) + "\n").encode("utf-8")
