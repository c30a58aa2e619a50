"""``astro reset``: forget every piece of a dev platform's state, wherever it lives.

Deleting ``.astro/`` is not enough: when a PostgreSQL or Redis was already listening on the
machine (or ``ASTRO_*_URL`` points at one), the ledger, the queues, rate limits and the
platform log live there, and a half-reset platform (an empty catalog over a full ledger, jobs
for bookings that no longer exist) is worse than either. Where state lives:

| state | where |
|---|---|
| ledger (admin) | PostgreSQL: ``ASTRO_POSTGRES_URL``'s database, else database ``astro`` on 127.0.0.1:5432, else ``.astro/postgres`` |
| catalog, bookings, users, notifications, logs | MongoDB: databases ``ASTRO_CUSTOMER_DB`` and ``ASTRO_SYSTEM_DB`` at ``ASTRO_MONGO_URL``, else ``.astro/mongo`` |
| queues, job results, rate limits, APQ, the log list | Redis: ``ASTRO_REDIS_URL``, else 127.0.0.1:6379 db 0, else ``.astro/redis`` |
| supergraph, process logs, dev mail | ``.astro/`` (``ASTRO_DATA_DIR``) |
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pymongo
import redis

from astro.settings import Settings
from astroctl import devstack

#: Redis keys of the platform besides its queues and log list: arq's jobs, results, in-progress
#: marks and retries; the gateway's rate limits and persisted queries.
REDIS_PATTERNS = ("arq:*", "astro:*")


def _postgres_url(settings: Settings) -> str | None:
    if settings.postgres_url:
        return settings.postgres_url
    if devstack.port_open("127.0.0.1", 5432):
        return f"postgresql://postgres@127.0.0.1:5432/{devstack.DEV_DATABASE}"
    return None


def _redis_url(settings: Settings) -> str | None:
    if settings.redis_url:
        return settings.redis_url
    if devstack.port_open("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0"
    return None


def _drop_postgres(url: str) -> str:
    devstack.drop_database(url)
    return f"PostgreSQL database {url.rsplit('/', 1)[1].split('?', 1)[0]!r} dropped"


def _drop_mongo(url: str, databases: tuple[str, ...]) -> str:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=5000
    )
    try:
        for database in databases:
            client.drop_database(database)
    finally:
        client.close()
    return f"MongoDB databases {', '.join(databases)} dropped"


def _clear_redis(url: str, settings: Settings) -> str:
    client = redis.Redis.from_url(url)
    try:
        keys = {settings.queue_name, settings.notification_queue, settings.log_list}
        for pattern in REDIS_PATTERNS:
            keys.update(key.decode() for key in client.scan_iter(match=pattern, count=1000))
        removed = client.delete(*keys) if keys else 0
    finally:
        client.close()
    return f"Redis: {removed} keys of the platform deleted"


def reset(settings: Settings, data_dir: Path) -> list[str]:
    """Remove the platform's state from every store it used and ``data_dir``; what was done.

    Only for dev mode; the stores must not be in use (stop ``astro dev`` first)."""
    if settings.mode != "dev":
        raise ValueError("astro reset only runs in dev mode (ASTRO_MODE=dev)")
    done: list[str] = []
    postgres = _postgres_url(settings)
    if postgres:
        done.append(_drop_postgres(postgres))
    if settings.mongo_url:  # otherwise embedded: its files are in the data dir
        done.append(_drop_mongo(settings.mongo_url, (settings.customer_db, settings.system_db)))
    redis_url = _redis_url(settings)
    if redis_url:
        done.append(_clear_redis(redis_url, settings))
    if data_dir.exists():
        shutil.rmtree(data_dir)
        done.append(f"{data_dir} removed")
    return done
