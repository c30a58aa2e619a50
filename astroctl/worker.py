"""The arq worker: every subgraph's jobs (sync, notifications, schedules) in one process.

Each subgraph's ``jobs`` module exposes ``functions``, ``cron_jobs``, ``startup(ctx)`` and
``shutdown(ctx)``; the worker collects them, so a job lives with the code it serves.

A job a worker is running is marked by arq's in-progress key, and no worker starts a job whose key
exists. arq gives that key one expiry for every job: the longest timeout of all the functions and
crons plus 10 s — 610 s here, set by the daily admin crons. A worker killed mid-job would hold its
jobs (a ledger answer among them) for ten minutes. :class:`LeasingWorker` makes the key a short
lease that the running worker renews while the job runs: a dead worker's jobs are started again
by another worker within :data:`LEASE_SECONDS`, and a long job is never started twice while its
worker lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import ModuleType
from typing import Any

from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix
from arq.worker import Worker

from astro.settings import Settings
from astroctl.registry import SUBGRAPHS

log = logging.getLogger(__name__)


# How long a job stays claimed by a worker that stops renewing the claim (killed, or its event loop
# stalled that long), and how often a live worker renews the claims of the jobs it runs.
LEASE_SECONDS = 20.0
RENEW_EVERY_SECONDS = 4.0


class LeasingWorker(Worker):
    """An arq worker whose in-progress keys are leases renewed while their jobs run."""

    def __init__(
        self,
        *args: Any,
        lease_seconds: float = LEASE_SECONDS,
        renew_every_seconds: float = RENEW_EVERY_SECONDS,
        **kwargs: Any,
    ) -> None:
        if not 0 < renew_every_seconds < lease_seconds:
            raise ValueError("renew_every_seconds must be positive and shorter than the lease")
        super().__init__(*args, **kwargs)
        # arq sets the in-progress key with this expiry when it starts a job.
        self.in_progress_timeout_s = lease_seconds
        self.renew_every_seconds = renew_every_seconds

    async def main(self) -> None:
        renewal = asyncio.create_task(self._renew_leases(), name="arq-lease-renewal")
        try:
            await super().main()
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

    async def renew_leases(self) -> int:
        """Extend the in-progress keys of the jobs running here; returns how many were renewed.

        ``PEXPIRE`` leaves a missing key missing: a job that finished (or was deferred) between
        the listing and the renewal is not claimed again.
        """
        job_ids = list(self.job_tasks)
        if not job_ids or self._pool is None:
            return 0
        lease_ms = int(self.in_progress_timeout_s * 1000)
        async with self.pool.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.pexpire(in_progress_key_prefix + job_id, lease_ms)
            renewed = await pipe.execute()
        return sum(1 for done in renewed if done)

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every_seconds)
            try:
                await self.renew_leases()
            except Exception:  # Redis unreachable for a moment: the next round renews
                log.warning("could not renew the running jobs' leases", exc_info=True)


NOTIFICATION_MAX_JOBS = 4


def _job_modules() -> list[ModuleType]:
    return [spec.module("jobs") for spec in SUBGRAPHS]


def create_worker(
    settings: Settings,
    *,
    notifications: bool = False,
    burst: bool = False,
    handle_signals: bool = True,
) -> LeasingWorker:
    """An arq worker over ``settings.redis_url``: every subgraph's jobs on ``queue_name``, or,
    with ``notifications``, the notification jobs on ``notification_queue``. When both name
    one queue, the first worker runs them all."""
    if not settings.redis_url:
        raise RuntimeError("ASTRO_REDIS_URL is not set")
    one_queue = settings.notification_queue == settings.queue_name
    if notifications and one_queue:
        raise RuntimeError("the notification queue is the main queue: run one worker")
    every = _job_modules()
    senders = [spec.module("jobs") for spec in SUBGRAPHS if spec.notifications]
    modules = senders if notifications else every
    functions: list[Any] = []
    cron_jobs: list[Any] = []
    if not notifications:
        functions += [fn for module in modules for fn in module.functions]
        cron_jobs += [job for module in modules for job in module.cron_jobs]
    if notifications or one_queue:
        functions += [fn for module in senders for fn in module.notification_functions]
        cron_jobs += [job for module in senders for job in module.notification_cron_jobs]

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        for module in modules:
            await module.startup(ctx)

    async def shutdown(ctx: dict[str, Any]) -> None:
        for module in reversed(modules):
            await module.shutdown(ctx)

    return LeasingWorker(
        functions=functions,
        cron_jobs=cron_jobs,
        queue_name=settings.notification_queue if notifications else settings.queue_name,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.05,
        # Emails take a small share of the stores: under a rush the sync goes first.
        max_jobs=NOTIFICATION_MAX_JOBS if notifications else 20,
        job_timeout=120,
        max_tries=10,
    )
