"""arq jobs of the system subgraph (collected by the platform's worker): notifications and the
platform log.

- ``notify_event(event)``: an event from the admin outbox (relayed with the other consumers of its
  topic) or from the customer subgraph becomes its emails, each made once, then delivered.
- ``deliver_notification(id)``: one SMTP attempt; a failure retries with backoff (``arq.Retry``)
  until ``ASTRO_NOTIFICATION_MAX_ATTEMPTS`` attempts have failed, then the email is FAILED.
- cron ``system:redrive_notifications``: PENDING emails whose delivery job was lost (Redis away,
  a crash between storing and enqueueing) are enqueued again.
- cron ``system:collect_logs`` (every 2 s): entries every process shipped to Redis
  (``astro.logshipping``) move into the ``logs`` collection; ``system:prune_logs`` (daily) drops
  those past their retention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from arq import Retry, cron, func
from arq.connections import ArqRedis
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from astro.contracts.jobs import NOTIFY_EVENT
from astro.settings import Settings, get_settings
from subgraphs.system import logs, notifications, store
from subgraphs.system.store import NotificationDocument, init_store, utcnow

log = logging.getLogger(__name__)

NOTIFY_JOB = NOTIFY_EVENT  # producers name it from the contracts too
DELIVER_JOB = "deliver_notification"
# A lost delivery job is looked for once its next attempt is this late.
REDRIVE_AFTER = timedelta(seconds=60)
REDRIVE_BATCH = 200
# arq's own limit on one job's runs; the notification's attempt count is what gives up (≤ 50).
DELIVER_MAX_TRIES = 200


@dataclass(frozen=True, slots=True)
class SystemJobContext:
    """What this subgraph's jobs find in ``ctx["system"]``."""

    settings: Settings
    mongo: AsyncMongoClient[dict[str, Any]]


def _system(ctx: dict[str, Any]) -> SystemJobContext:
    system: SystemJobContext = ctx["system"]
    return system


def _queue(ctx: dict[str, Any]) -> ArqRedis:
    queue = ctx.get("redis")
    if not isinstance(queue, ArqRedis):
        raise RuntimeError("notification jobs run in an arq worker (they need ctx['redis'])")
    return queue


def delivery_job_id(notification: NotificationDocument, suffix: str = "") -> str:
    """``deliver:<id>:<round>``: one delivery job per round (a resend starts a new round)."""
    return f"deliver:{notification.id}:{notification.round}{suffix}"


async def enqueue_delivery(
    queue: ArqRedis, settings: Settings, notification: NotificationDocument, suffix: str = ""
) -> None:
    """Queue the delivery of ``notification`` (a no-op while arq remembers the same job)."""
    await queue.enqueue_job(
        DELIVER_JOB,
        notification.id,
        _job_id=delivery_job_id(notification, suffix),
        _queue_name=settings.notification_queue,
    )


async def notify_event(ctx: dict[str, Any], event: dict[str, Any]) -> int:
    """Make the emails ``event`` calls for (once each, whatever the number of runs) and queue
    their delivery; returns how many are waiting for delivery."""
    settings = _system(ctx).settings
    try:
        pending = await notifications.create_notifications(event)
    except notifications.UnreadableEvent as exc:
        # Running it again would not make it readable: log it and let it go.
        log.error("event %s not notified: %s", event.get("event_id"), exc)
        return 0
    except PyMongoError as exc:
        raise Retry(defer=min(2 ** ctx.get("job_try", 1), 30)) from exc
    queue = _queue(ctx)
    for notification in pending:
        await enqueue_delivery(queue, settings, notification)
    log.info(
        "event %s (%s): %d email(s) to deliver",
        event.get("event_id"),
        event.get("topic"),
        len(pending),
    )
    return len(pending)


async def deliver_notification(ctx: dict[str, Any], notification_id: str) -> str:
    """Send the notification once; ``arq.Retry`` with backoff while attempts are left."""
    try:
        delivery = await notifications.deliver(_system(ctx).settings, notification_id)
    except PyMongoError as exc:
        raise Retry(defer=min(2 ** ctx.get("job_try", 1), 30)) from exc
    if delivery.retry_in is not None:
        raise Retry(defer=delivery.retry_in)
    return delivery.outcome


async def redrive_notifications(ctx: dict[str, Any]) -> int:
    """Queue again the deliveries of PENDING emails that are overdue; returns how many."""
    settings = _system(ctx).settings
    overdue = await store.overdue_notifications(utcnow() - REDRIVE_AFTER, REDRIVE_BATCH)
    queue = _queue(ctx)
    for notification in overdue:
        await enqueue_delivery(
            queue, settings, notification, suffix=f":redrive:{len(notification.attempts)}"
        )
    if overdue:
        log.info("notifications: %d overdue delivery job(s) queued again", len(overdue))
    return len(overdue)


async def collect_logs(ctx: dict[str, Any]) -> int:
    """Move the shipped log entries into the ``logs`` collection; returns how many."""
    settings = _system(ctx).settings
    collected = 0
    while batch := await logs.collect(_queue(ctx), settings.log_list):
        collected += batch
        if batch < logs.COLLECT_BATCH:
            break
    return collected


async def prune_logs(ctx: dict[str, Any]) -> int:
    """Drop log entries past their retention; returns how many."""
    return await logs.prune(utcnow())


async def startup(ctx: dict[str, Any]) -> None:
    """Open the system store (settings from ``ctx["settings"]``, else the environment)."""
    settings: Settings = ctx.get("settings") or get_settings()
    ctx["system"] = SystemJobContext(settings=settings, mongo=await init_store(settings))


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close the system store."""
    system: SystemJobContext | None = ctx.pop("system", None)
    if system is not None:
        await system.mongo.close()


functions: list[WorkerCoroutine | Function] = [collect_logs, prune_logs]
cron_jobs: list[CronJob] = [
    cron(collect_logs, name="system:collect_logs", second=set(range(0, 60, 2)), timeout=30),
    cron(prune_logs, name="system:prune_logs", hour={4}, minute={10}, timeout=300),
]
# On ``settings.notification_queue``, run by a worker of their own (``astro worker
# --notifications``): a rush of emails never holds up the booking sync.
notification_functions: list[WorkerCoroutine | Function] = [
    func(notify_event, name=NOTIFY_JOB),
    func(deliver_notification, name=DELIVER_JOB, max_tries=DELIVER_MAX_TRIES),
    redrive_notifications,
]
notification_cron_jobs: list[CronJob] = [
    cron(
        redrive_notifications,
        name="system:redrive_notifications",
        second={0, 30},
        timeout=60,
    ),
]
