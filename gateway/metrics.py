"""Prometheus metrics in the text exposition format (no dependency), and optional tracing.

``Metrics.render()`` is what ``GET /metrics`` serves. Tracing uses OpenTelemetry when it is
installed and enabled (``ASTRO_GATEWAY_TRACING=true``); otherwise spans cost nothing.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["Metrics", "Tracer"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


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
        self.cache = _Counter(
            "astro_gateway_cache_total", "Cache lookups by cache and result (hit/miss)."
        )
        self.rate_limited = _Counter(
            "astro_gateway_rate_limited_total", "Requests refused by the rate limiter."
        )
        self.unauthorized = _Counter(
            "astro_gateway_unauthorized_fields_total",
            "Fields removed by field authorization.",
        )
        self.started = time.time()

    def render(self, gauges: Mapping[str, float] | None = None) -> bytes:
        lines: list[str] = []
        for metric in (
            self.requests,
            self.errors,
            self.latency,
            self.fetches,
            self.fetch_latency,
            self.cache,
            self.rate_limited,
            self.unauthorized,
        ):
            lines.extend(metric.render())
        lines.append("# HELP astro_gateway_start_time_seconds Start time of the process.")
        lines.append("# TYPE astro_gateway_start_time_seconds gauge")
        lines.append(f"astro_gateway_start_time_seconds {self.started:.3f}")
        for name, value in (gauges or {}).items():
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {value:g}")
        return ("\n".join(lines) + "\n").encode("utf-8")


class Tracer:
    """OpenTelemetry spans when enabled and installed; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self._tracer: Any = None
        if enabled:
            try:
                from opentelemetry import trace
            except ImportError:  # optional dependency
                return
            self._tracer = trace.get_tracer("astro.gateway")

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[None]:
        if self._tracer is None:
            yield
            return
        with self._tracer.start_as_current_span(name, attributes=attributes):
            yield
