"""The customer subgraph's request context: the shared one plus its queue and cache handles."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from arq.connections import ArqRedis

from astroctl.worker import coalesced_job_id
from subgraphs.serving import Context

log = logging.getLogger(__name__)

RELAY_JOB = "relay_customer_outbox"


@dataclass
class CustomerContext(Context):
    """``redis`` (an arq pool) enqueues jobs and holds the visitors' catalog cache; ``None``
    without Redis (the relay cron still publishes, visitors read MongoDB)."""

    redis: ArqRedis | None = None

    async def request_relay(self) -> None:
        """Ask a worker to publish the booking outbox now; best effort, the relay cron catches
        up within a second."""
        if self.redis is None:
            return
        try:
            # Requests within 0.1 s share one job, which publishes every entry written so far.
            await self.redis.enqueue_job(
                RELAY_JOB,
                _job_id=coalesced_job_id(RELAY_JOB, self.settings.customer_db),
                _queue_name=self.settings.queue_name,
            )
        except Exception:  # the outbox entry is committed: a lost nudge only delays it
            log.warning(
                "could not enqueue %s; the relay cron will publish", RELAY_JOB, exc_info=True
            )
