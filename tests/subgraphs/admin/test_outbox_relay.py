"""The outbox relay on a real arq Redis pool and a real arq worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from arq.connections import ArqRedis, RedisSettings
from arq.constants import job_key_prefix
from arq.jobs import Job, JobStatus
from arq.worker import Worker, func
from redis.exceptions import ConnectionError as RedisConnectionError

from astro.settings import Settings
from astroctl.devstack import free_port
from subgraphs.admin.jobs import AdminWorker, cron_jobs, functions, relay_outbox, shutdown, startup
from subgraphs.admin.resolvers import RELAY_JOB
from subgraphs.admin.store import Database, OutboxEvent, Spaceport
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.test_scheduling import SCHEDULE, launch_input

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]


async def _clear(queue: ArqRedis, settings: Settings) -> None:
    """Empty the queue and forget its relay jobs (a cleared queue leaves their job keys, which
    would refuse a relay requested within the same window)."""
    await queue.delete(settings.queue_name)
    async for key in queue.scan_iter(match=f"{job_key_prefix}{RELAY_JOB}:*"):
        await queue.delete(key)


async def _scheduled_event(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport, rows: Rows
) -> OutboxEvent:
    reply = await admin.client(
        SCHEDULE, {"input": launch_input(account, spaceport)}, token=account.token
    )
    launch_id = reply.data["scheduleLaunch"]["id"]
    [event] = await rows(
        sa.select(OutboxEvent).where(OutboxEvent.payload["launch"]["id"].astext == launch_id)
    )
    assert isinstance(event, OutboxEvent)
    return event


async def test_scheduling_asks_a_worker_to_relay_at_once(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    queue: ArqRedis,
    admin_settings: Settings,
) -> None:
    await _clear(queue, admin_settings)

    await admin.client(SCHEDULE, {"input": launch_input(account, spaceport)}, token=account.token)

    jobs = await queue.queued_jobs(queue_name=admin_settings.queue_name)
    assert [job.function for job in jobs] == ["relay_outbox"]


async def test_relay_outbox_publishes_each_event_as_an_apply_launch_event_job(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    queue: ArqRedis,
    admin_settings: Settings,
    rows: Rows,
) -> None:
    event = await _scheduled_event(admin, account, spaceport, rows)
    assert event.published_at is None
    ctx: dict[str, Any] = {"settings": admin_settings}
    await startup(ctx)
    try:
        published = await relay_outbox(ctx)
        again = await relay_outbox(ctx)
    finally:
        await shutdown(ctx)

    assert published >= 1
    assert again == 0
    [row] = await rows(sa.select(OutboxEvent).where(OutboxEvent.id == event.id))
    assert isinstance(row.published_at, datetime)
    job_id = f"event:{event.event_id}"
    jobs = {
        job.job_id: job for job in await queue.queued_jobs(queue_name=admin_settings.queue_name)
    }
    assert jobs[job_id].function == "apply_launch_event"
    assert jobs[job_id].args == (event.payload,)
    job = Job(job_id, queue, _queue_name=admin_settings.queue_name)
    assert await job.status() == JobStatus.queued


async def test_relay_outbox_keeps_events_unpublished_when_the_queue_is_unreachable(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    admin_settings: Settings,
    db: Database,
    rows: Rows,
) -> None:
    event = await _scheduled_event(admin, account, spaceport, rows)
    # A real client to a port nobody listens on: every enqueue fails with a connection error.
    dead = ArqRedis(host="127.0.0.1", port=free_port(), default_queue_name="nowhere")
    ctx: dict[str, Any] = {"admin": AdminWorker(admin_settings, db, dead, owns_queue=False)}
    try:
        with pytest.raises(RedisConnectionError):
            await relay_outbox(ctx)
    finally:
        await dead.aclose()

    [row] = await rows(sa.select(OutboxEvent).where(OutboxEvent.id == event.id))
    assert row.published_at is None


async def test_a_worker_delivers_a_scheduled_launch_event_without_waiting_for_cron(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    queue: ArqRedis,
    admin_settings: Settings,
    rows: Rows,
) -> None:
    await _clear(queue, admin_settings)
    delivered: list[dict[str, Any]] = []

    async def apply_launch_event(ctx: dict[str, Any], event: dict[str, Any]) -> None:
        delivered.append(event)  # stands in for the customer subgraph's job of that name

    event = await _scheduled_event(admin, account, spaceport, rows)
    assert admin_settings.redis_url
    worker = Worker(
        functions=[*functions, func(apply_launch_event, name="apply_launch_event")],
        queue_name=admin_settings.queue_name,
        redis_settings=RedisSettings.from_dsn(admin_settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        ctx={"settings": admin_settings},
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()

    assert event.payload in delivered
    [row] = await rows(sa.select(OutboxEvent).where(OutboxEvent.id == event.id))
    assert row.published_at is not None


def test_relay_outbox_runs_every_second_as_a_safety_net() -> None:
    [job] = [job for job in cron_jobs if job.name == "admin:relay_outbox"]
    assert job.coroutine is relay_outbox
    assert job.second == set(range(60))
    assert "relay_outbox" in {getattr(f, "name", getattr(f, "__name__", "")) for f in functions}
