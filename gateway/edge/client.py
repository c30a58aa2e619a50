"""The edge's subgraph client: per-subgraph timeouts (``SUBGRAPH_TIMEOUT_SECONDS``,
``SUBGRAPH_TIMEOUTS``) and fetch metrics. Given to the engine when it is built."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from ..metrics import Metrics
from ..transport import SubgraphClient, TransportError

__all__ = ["InstrumentedClient"]


class InstrumentedClient(SubgraphClient):
    """The engine's subgraph client with per-subgraph timeouts and metrics."""

    def __init__(
        self,
        services: Mapping[str, str],
        *,
        timeout: float,
        timeouts: Mapping[str, float],
        metrics: Metrics,
    ) -> None:
        super().__init__(timeout=max([timeout, *timeouts.values()]))
        self.services = {url: name.lower() for name, url in services.items()}
        self.default_timeout = timeout
        self.timeouts = {k.lower(): v for k, v in timeouts.items()}
        self.metrics = metrics

    async def request(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        dedupe: bool = True,
    ) -> tuple[int, bytes]:
        service = self.services.get(url, "unknown")
        timeout = self.timeouts.get(service, self.default_timeout)
        started = time.perf_counter()
        outcome = "ok"
        try:
            status, raw = await asyncio.wait_for(
                super().request(url, body, headers, dedupe=dedupe), timeout
            )
            if status >= 400:
                outcome = "http_error"
            return status, raw
        except TimeoutError as exc:
            outcome = "timeout"
            raise TransportError(f"no answer within {timeout:g} s") from exc
        except BaseException:
            outcome = "error"
            raise
        finally:
            self.metrics.fetches.inc(subgraph=service, outcome=outcome)
            self.metrics.fetch_latency.observe(time.perf_counter() - started, subgraph=service)
