"""astro reset forgets the dev platform's state in every store, not only in .astro/."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pymongo
import redis

from astro.settings import Settings
from astroctl import devstack
from astroctl.cli import prepare_stores
from astroctl.supervisor import settings_env

RESET_REDIS_DB = 12  # this test's own: reset deletes every arq:* and astro:* key of its db


async def _database_exists(url: str) -> bool:
    database = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(devstack.with_database(url, "postgres"))
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
    finally:
        await conn.close()
    return found == 1


def test_reset_empties_postgres_mongo_redis_and_the_data_dir(
    settings: Settings, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    assert settings.postgres_url and settings.redis_url and settings.mongo_url
    private = settings.model_copy(
        update={
            "postgres_url": devstack.with_database(settings.postgres_url, f"astro_reset_{run}"),
            "redis_url": settings.redis_url.rsplit("/", 1)[0] + f"/{RESET_REDIS_DB}",
            "customer_db": f"reset_customer_{run}",
            "system_db": f"reset_system_{run}",
            "queue_name": f"astro-reset:{run}",
            "log_list": f"astro-reset:{run}:logs",
            "gateway_port": devstack.free_port(),
        }
    )
    assert private.postgres_url and private.redis_url and private.mongo_url
    devstack.ensure_database(private.postgres_url)
    asyncio.run(prepare_stores(private, seed=True))
    cache = redis.Redis.from_url(private.redis_url)
    cache.set("arq:job:left-over", b"1")
    cache.set("astro:apq:abc", b"{ launches { id } }")
    cache.rpush(private.log_list, b"{}")
    data = tmp_path / "astro-data"
    (data / "logs").mkdir(parents=True)
    (data / "supergraph.graphql").write_text("type Query { x: Int }")
    mongo: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(private.mongo_url)
    assert private.customer_db in mongo.list_database_names()

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRO_")}
    done = subprocess.run(
        [sys.executable, "-m", "astroctl.cli", "reset", "--yes", "--data-dir", str(data)],
        env={**env, **settings_env(private)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert f"PostgreSQL database 'astro_reset_{run}' dropped" in done.stdout
    assert not asyncio.run(_database_exists(private.postgres_url))
    names = mongo.list_database_names()
    assert private.customer_db not in names and private.system_db not in names
    assert cache.exists("arq:job:left-over", "astro:apq:abc", private.log_list) == 0
    assert not data.exists()
    mongo.close()
    cache.close()


@contextlib.contextmanager
def _listening() -> Iterator[int]:
    """A socket listening on a free port, as a running gateway would."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_reset_refuses_while_the_platform_runs(settings: Settings, tmp_path: Path) -> None:
    with _listening() as port:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRO_")}
        private = settings.model_copy(update={"gateway_port": port})
        done = subprocess.run(
            [sys.executable, "-m", "astroctl.cli", "reset", "--yes", "--data-dir", str(tmp_path)],
            env={**env, **settings_env(private)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "stop astro dev first" in done.stderr
    assert tmp_path.exists()
