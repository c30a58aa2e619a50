"""The customer subgraph's request context: the shared one plus its queue and cache handles."""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis

from astro import outbox
from subgraphs.serving import Context

RELAY_JOB = "relay_customer_outbox"


@dataclass
class CustomerContext(Context):
    """``redis`` (an arq pool) enqueues jobs and holds the visitors' catalog cache; ``None``
    without Redis (the relay cron still publishes, visitors read MongoDB)."""

    redis: ArqRedis | None = None

    async def request_relay(self) -> None:
        """Ask a worker to publish the booking outbox now; best effort, the relay cron catches
        up within a second (requests within 0.1 s share one job: :mod:`astro.outbox`)."""
        await outbox.request_relay(
            self.redis, RELAY_JOB, self.settings.customer_db, self.settings.queue_name
        )
