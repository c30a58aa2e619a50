"""The arq worker: every subgraph's jobs (sync, notifications, schedules) in one process.

Each subgraph's ``jobs`` module exposes ``functions``, ``cron_jobs``, ``startup(ctx)`` and
``shutdown(ctx)``; the worker collects them, so a job lives with the code it serves.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from astro.settings import Settings

SUBGRAPHS = ("system", "admin", "customer")


def _job_modules() -> list[ModuleType]:
    return [importlib.import_module(f"subgraphs.{name}.jobs") for name in SUBGRAPHS]


def create_worker(
    settings: Settings, *, burst: bool = False, handle_signals: bool = True
) -> Worker:
    """An arq worker over ``settings.redis_url`` running every subgraph's jobs."""
    if not settings.redis_url:
        raise RuntimeError("ASTRO_REDIS_URL is not set")
    modules = _job_modules()

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        for module in modules:
            await module.startup(ctx)

    async def shutdown(ctx: dict[str, Any]) -> None:
        for module in reversed(modules):
            await module.shutdown(ctx)

    return Worker(
        functions=[fn for module in modules for fn in module.functions],
        cron_jobs=[job for module in modules for job in module.cron_jobs],
        queue_name=settings.queue_name,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.05,
        max_jobs=20,
        job_timeout=120,
        max_tries=10,
    )
