"""Real stores for the whole test session: PostgreSQL, a SecantusDB process, Redis.

Each session gets its own PostgreSQL database, its own in-memory MongoDB-wire server and its own
Redis database number and queue name, so runs never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from astro.settings import Settings
from astroctl import devstack
from astroctl.registry import NAMES

REDIS_TEST_DB = 13


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """URLs of real, empty stores for this test session."""
    run = uuid.uuid4().hex[:10]
    data_dir = Path(os.environ.get("ASTRO_TEST_DATA_DIR") or tmp_path_factory.mktemp("stores"))
    postgres = devstack.start_postgres(os.environ.get("ASTRO_POSTGRES_URL"), data_dir)
    pg_url = devstack.with_database(postgres.url, f"astro_test_{run}")
    devstack.ensure_database(pg_url)
    mongo = devstack.start_mongo(os.environ.get("ASTRO_MONGO_URL"), None)
    redis = devstack.start_redis(os.environ.get("ASTRO_REDIS_URL"), data_dir)
    redis_url = redis.url.rsplit("/", 1)[0] + f"/{REDIS_TEST_DB}"
    try:
        yield {"postgres": pg_url, "mongo": mongo.url, "redis": redis_url, "run": run}
    finally:
        devstack.drop_database(pg_url)
        for store in (mongo, redis, postgres):
            store.stop()


@pytest.fixture(scope="session")
def settings(stores: dict[str, str]) -> Settings:
    """Settings pointing at this session's stores, with test-only names and free ports."""
    run = stores["run"]
    return Settings(
        mode="dev",
        postgres_url=stores["postgres"],
        mongo_url=stores["mongo"],
        redis_url=stores["redis"],
        customer_db=f"customer_{run}",
        system_db=f"system_{run}",
        queue_name=f"astro-test:{run}",
        log_list=f"astro-test:{run}:logs",
        jwt_secret="test-secret-" + run * 4,
        gateway_port=devstack.free_port(),
        subgraph_ports={name: devstack.free_port() for name in NAMES},
        outbox_poll_seconds=0.2,
    )
