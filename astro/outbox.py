"""The outbox relay: every subgraph's outbox published to the jobs of its messages, one way.

A producer writes its message in the transaction of the change it reports (an outbox row: the
ledger's on PostgreSQL, the customer store's on MongoDB), then a relay enqueues one arq job per
consumer of the message's topic (:data:`astro.contracts.jobs.TOPIC_JOBS`) and marks the row
published in the same claim. Stores differ only behind :class:`OutboxStore`.

The guarantees:

- A row is marked published only after all its jobs were enqueued: an enqueue that fails leaves
  the batch unpublished and a later run publishes it again.
- Job ids come from :func:`astro.contracts.jobs.job_id`: a relay repeated after a crash between
  enqueue and mark enqueues the same ids, which arq ignores while it remembers them; after that
  each consumer's own event-id check keeps it idempotent.
- A topic without consumers stays unpublished and never holds up the others.
- The nudges that ask for a relay right after a write are coalesced (:func:`request_relay`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from arq.connections import ArqRedis

from astro.contracts.jobs import TOPIC_JOBS, job_id, queue_for
from astro.contracts.message import Message
from astro.settings import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish: its payload, how often it was published before (a redriven row
    gets fresh job ids, since arq refuses an id it still remembers) and, for a message sent to
    one of many recipients, who (one job each)."""

    event_id: str
    topic: str
    payload: dict[str, Any]
    publications: int = 0
    recipient: str | None = None

    @classmethod
    def of(cls, message: Message, *, recipient: str | None = None) -> Outgoing:
        """``message``, published straight from a job (no outbox row)."""
        return cls(message.event_id, message.topic, message.payload(), recipient=recipient)


class Claim(Protocol):
    """Unpublished rows held by one relay until its block ends."""

    @property
    def rows(self) -> Sequence[Outgoing]: ...

    async def mark_published(self) -> None:
        """Mark :attr:`rows` published (and count the publication), within the claim."""


class OutboxStore(Protocol):
    """Where a producer's outbox lives."""

    def claim(self, limit: int, topics: Collection[str]) -> AbstractAsyncContextManager[Claim]:
        """At most ``limit`` unpublished rows of ``topics``, oldest first, held (where the store
        can: ``FOR UPDATE SKIP LOCKED``) so that relays side by side publish each row once."""
        ...


async def relay(
    store: OutboxStore, queue: ArqRedis, settings: Settings, *, batch_size: int = BATCH_SIZE
) -> int:
    """Publish ``store``'s unpublished rows, oldest first; returns how many were published."""
    published = 0
    while True:
        async with store.claim(batch_size, TOPIC_JOBS) as claim:
            rows = claim.rows
            for row in rows:
                await publish(queue, settings, row)
            if rows:
                await claim.mark_published()
        published += len(rows)
        if len(rows) < batch_size:
            return published


async def publish(queue: ArqRedis, settings: Settings, row: Outgoing) -> None:
    """Enqueue ``row``'s message for every consumer of its topic, each on its queue."""
    for job in TOPIC_JOBS[row.topic]:
        await queue.enqueue_job(
            job,
            row.payload,
            _job_id=job_id(
                row.topic,
                row.event_id,
                job,
                publication=row.publications,
                recipient=row.recipient,
            ),
            _queue_name=queue_for(job, settings),
        )


def coalesced_job_id(name: str, scope: str, window: float = 0.1) -> str:
    """A job id shared by the requests for job ``name`` made within one ``window`` of seconds.

    For "run soon" requests (e.g. an outbox relay after each write): a rush of them makes one
    job per window instead of one each, and, unlike a fixed id, a request made while that job
    runs (or after a queue was cleared and left its job key behind) is never refused for long.
    """
    return f"{name}:{scope}:{int(time.time() / window)}"


async def request_relay(queue: ArqRedis | None, job: str, scope: str, queue_name: str) -> None:
    """Ask a worker to run relay ``job`` now; best effort (the row is committed: a lost request
    only delays it until the relay cron). Requests within 0.1 s share one job, which publishes
    every row written so far."""
    if queue is None:
        return
    try:
        await queue.enqueue_job(job, _job_id=coalesced_job_id(job, scope), _queue_name=queue_name)
    except Exception:
        log.warning("could not enqueue %s; the relay cron will publish", job, exc_info=True)


def redrive_delay(publications: int, after: timedelta, ceiling: timedelta) -> timedelta:
    """How long a row published ``publications`` times waits for an answer before it is
    published again: ``after``, then twice as long after each further publication, at most
    ``ceiling``."""
    return min(after * (1 << min(max(publications - 1, 0), 16)), ceiling)
