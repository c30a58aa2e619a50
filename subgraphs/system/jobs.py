"""arq jobs of the system subgraph (collected by the platform's worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient

from astro.settings import Settings, get_settings
from subgraphs.system.store import init_store

functions: list[Any] = []
cron_jobs: list[Any] = []


@dataclass(frozen=True, slots=True)
class SystemJobContext:
    """What this subgraph's jobs find in ``ctx["system"]``."""

    settings: Settings
    mongo: AsyncMongoClient[dict[str, Any]]


async def startup(ctx: dict[str, Any]) -> None:
    """Open the system store (settings from ``ctx["settings"]``, else the environment)."""
    settings: Settings = ctx.get("settings") or get_settings()
    ctx["system"] = SystemJobContext(settings=settings, mongo=await init_store(settings))


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close the system store."""
    system: SystemJobContext | None = ctx.pop("system", None)
    if system is not None:
        await system.mongo.close()
