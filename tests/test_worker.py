"""The worker's claim on a running job is a short lease: a killed worker's job is started again
soon, and a job outliving the lease is never started twice while its worker lives."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import create_pool, func
from arq.connections import ArqRedis, RedisSettings

from astro.settings import Settings
from astroctl.worker import LEASE_SECONDS, LeasingWorker, create_worker

# A worker in a process of its own whose one job (``hold``) counts its start, then runs forever.
HOLDING_WORKER = """
import asyncio, sys
from arq.connections import RedisSettings
from astroctl.worker import LeasingWorker

redis_url, queue = sys.argv[1], sys.argv[2]

async def hold(ctx):
    await ctx["redis"].incr(queue + ":started")
    await asyncio.sleep(3600)

LeasingWorker(
    functions=[hold],
    redis_settings=RedisSettings.from_dsn(redis_url),
    queue_name=queue,
    lease_seconds=2,
    renew_every_seconds=0.5,
    poll_delay=0.05,
).run()
"""


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[tuple[ArqRedis, str]]:
    """An arq pool on a queue of this test's own."""
    assert settings.redis_url
    name = f"{settings.queue_name}:lease-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url), default_queue_name=name)
    yield pool, name
    await pool.aclose()


def _worker(settings: Settings, name: str, functions: list[Any], **lease: float) -> LeasingWorker:
    assert settings.redis_url
    return LeasingWorker(
        functions=functions,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        queue_name=name,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
        **lease,
    )


async def _wait_for(check: Any, within: float) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


def test_the_platform_worker_claims_jobs_for_a_short_lease_not_the_longest_cron_timeout(
    settings: Settings,
) -> None:
    worker = create_worker(settings, handle_signals=False)

    # arq's own claim would last the longest timeout of all functions and crons, plus 10 s.
    longest = max(f.timeout_s or worker.job_timeout_s for f in worker.functions.values())
    assert longest >= 600
    assert worker.in_progress_timeout_s == LEASE_SECONDS < 30


async def test_a_killed_workers_job_is_started_again_once_its_lease_runs_out(
    settings: Settings, queue: tuple[ArqRedis, str]
) -> None:
    pool, name = queue
    job = await pool.enqueue_job("hold", _job_id=f"hold-{uuid.uuid4().hex[:8]}")
    assert job is not None
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDING_WORKER, str(settings.redis_url), name, start_new_session=True
    )
    try:

        async def started() -> bool:
            return bool(await pool.get(f"{name}:started") == b"1")

        assert await _wait_for(started, within=30), "the first worker never started the job"
        await asyncio.sleep(1.5)  # past one lease: only the holder's renewals keep its claim
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    killed_at = time.monotonic()

    async def hold(ctx: dict[str, Any]) -> int:
        try_: int = ctx["job_try"]
        return try_

    worker = _worker(
        settings, name, [func(hold, name="hold")], lease_seconds=2, renew_every_seconds=0.5
    )
    try:
        assert await worker.run_check() == 1
    finally:
        await worker.close()

    assert await job.result(timeout=5) == 2  # the killed worker's try, then this one
    assert time.monotonic() - killed_at < 2 + 3


async def test_a_job_outliving_its_lease_runs_once_while_its_worker_lives(
    settings: Settings, queue: tuple[ArqRedis, str]
) -> None:
    pool, name = queue
    starts: list[int] = []

    async def slow(ctx: dict[str, Any]) -> None:
        starts.append(ctx["job_try"])
        await asyncio.sleep(3)  # three leases

    job = await pool.enqueue_job("slow")
    assert job is not None
    first, second = (
        _worker(settings, name, [func(slow, name="slow")], lease_seconds=1, renew_every_seconds=0.2)
        for _ in range(2)
    )
    try:
        await asyncio.gather(first.run_check(), second.run_check())
    finally:
        await first.close()
        await second.close()

    assert starts == [1]
    assert (await job.result_info()) is not None
