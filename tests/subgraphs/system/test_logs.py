"""The platform log for IT: records shipped to Redis by any process, collected into MongoDB by
the system worker, read through the ``logs`` query (scope ``logs:read``)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from astro.identity import issue_access_token
from astro.logshipping import RedisLogHandler, ship_logs
from astro.settings import Settings
from subgraphs.system import logs
from tests.subgraphs.system.conftest import Client

LOGS = """
query Logs($level: LogLevel, $source: String, $contains: String, $first: Int) {
  logs(minLevel: $level, source: $source, contains: $contains, first: $first) {
    nodes { at level logger message source error }
  }
}
"""


def _token(settings: Settings, *roles: str) -> str:
    sub = str(uuid.uuid4())
    return issue_access_token(settings, sub=sub, email=f"{sub[:8]}@example.com", roles=list(roles))


@pytest.fixture
async def log_list(system_settings: Settings) -> Any:
    """A Redis list of this test's own, emptied afterwards."""
    assert system_settings.redis_url
    key = f"test:logs:{uuid.uuid4()}"
    redis = Redis.from_url(system_settings.redis_url)
    yield redis, key
    await redis.delete(key)
    await redis.aclose()


def _handler(settings: Settings, key: str, source: str, **options: Any) -> RedisLogHandler:
    assert settings.redis_url
    handler = RedisLogHandler(settings.redis_url, source, list_key=key, **options)
    logging.getLogger().addHandler(handler)
    return handler


async def test_a_logged_error_reaches_it_through_the_logs_query(
    system_settings: Settings, log_list: Any, gql: Client, system_url: str
) -> None:
    redis, key = log_list
    source = f"customer-{uuid.uuid4().hex[:6]}"
    handler = _handler(system_settings, key, source)
    try:
        try:
            raise RuntimeError("ledger unreachable")
        except RuntimeError:
            logging.getLogger("astro.sync").exception("booking %s could not be recorded", "b-1")
        logging.getLogger("astro.sync").info("routine detail, not shipped")
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    assert await logs.collect(redis, key) == 1
    reply = await gql(LOGS, {"source": source}, token=_token(system_settings, "it"))
    assert reply.errors == []
    [entry] = reply.data["logs"]["nodes"]
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "astro.sync"
    assert entry["message"] == "booking b-1 could not be recorded"
    assert "RuntimeError: ledger unreachable" in entry["error"]
    assert await redis.llen(key) == 0


async def test_logs_need_the_logs_read_scope(system_settings: Settings, gql: Client) -> None:
    for roles in [("customer",), ("finance",), ("supplier",)]:
        reply = await gql(LOGS, {}, token=_token(system_settings, *roles))
        assert reply.codes == ["FORBIDDEN"], roles
        assert reply.data is None
    anonymous = await gql(LOGS, {})
    assert anonymous.codes == ["UNAUTHENTICATED"]
    admin = await gql(LOGS, {"first": 1}, token=_token(system_settings, "admin"))
    assert admin.errors == []


async def test_a_batch_collected_twice_is_stored_once(
    system_settings: Settings, log_list: Any, gql: Client
) -> None:
    redis, key = log_list
    source = f"worker-{uuid.uuid4().hex[:6]}"
    handler = _handler(system_settings, key, source)
    try:
        for number in range(3):
            logging.getLogger("arq.worker").warning("job %d failed", number)
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    raw = await redis.lrange(key, 0, -1)
    # A collector that died after inserting, before trimming, leaves the batch in the list.
    await redis.rpush(key, *raw)
    assert await logs.collect(redis, key) == 6

    reply = await gql(LOGS, {"source": source}, token=_token(system_settings, "it"))
    messages = [entry["message"] for entry in reply.data["logs"]["nodes"]]
    assert messages == ["job 2 failed", "job 1 failed", "job 0 failed"]  # newest first


async def test_logs_filter_by_level_and_text(
    system_settings: Settings, log_list: Any, gql: Client
) -> None:
    redis, key = log_list
    source = f"gateway-{uuid.uuid4().hex[:6]}"
    handler = _handler(system_settings, key, source, level=logging.INFO)
    logger = logging.getLogger("astro.gateway")
    logger.setLevel(logging.INFO)
    try:
        logger.info("plan cache warmed")
        logger.warning("subgraph admin slow: 2.5 s")
        logger.error("subgraph ADMIN unreachable")
        handler.flush()
    finally:
        logger.setLevel(logging.NOTSET)
        logging.getLogger().removeHandler(handler)
        handler.close()
    await logs.collect(redis, key)
    it = _token(system_settings, "it")

    everything = await gql(LOGS, {"source": source, "level": "DEBUG"}, token=it)
    assert len(everything.data["logs"]["nodes"]) == 3
    errors = await gql(LOGS, {"source": source, "level": "ERROR"}, token=it)
    assert [e["message"] for e in errors.data["logs"]["nodes"]] == ["subgraph ADMIN unreachable"]
    admin = await gql(LOGS, {"source": source, "contains": "admin"}, token=it)
    assert [e["message"] for e in admin.data["logs"]["nodes"]] == [
        "subgraph ADMIN unreachable",
        "subgraph admin slow: 2.5 s",
    ]
    regex_text = await gql(LOGS, {"source": source, "contains": "2.5 s|x"}, token=it)
    assert regex_text.data["logs"]["nodes"] == []  # searched as text, not as a pattern


async def test_logging_without_redis_drops_entries_and_never_raises() -> None:
    handler = ship_logs("redis://127.0.0.1:1/0", "nowhere")
    assert handler is not None
    try:
        for number in range(50):
            logging.getLogger("astro.test").error("lost %d", number)
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert handler.dropped == 50
    assert ship_logs(None, "nowhere") is None
