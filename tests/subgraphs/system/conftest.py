"""The system subgraph served over real HTTP (uvicorn) on this session's MongoDB, its jobs run by
a real arq worker on Redis, and a real SMTP server (aiosmtpd) receiving its emails."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker
from pymongo import AsyncMongoClient, monitoring

from astro.settings import Settings
from astroctl.mailsink import MailSink
from subgraphs.system import jobs as system_jobs
from subgraphs.system.app import create_app
from tests.serving import serve


@dataclass
class CommandLog(monitoring.CommandListener):
    """MongoDB commands sent to the system database, as seen on the wire."""

    database: str
    commands: list[dict[str, Any]] = field(default_factory=list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database:
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def finds(self, collection: str) -> list[dict[str, Any]]:
        return [command for command in self.commands if command.get("find") == collection]


@dataclass
class Response:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.body.get("errors") or []
        return errors

    @property
    def codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code") for error in self.errors]


class Client:
    """Sends GraphQL over HTTP from threads of its own (never the loop's default executor, which
    the server needs for argon2)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="graphql-client")

    def _post(self, payload: bytes, headers: dict[str, str]) -> Response:
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return Response(reply.status, json.loads(reply.read()))
        except urllib.error.HTTPError as error:
            return Response(error.code, json.loads(error.read()))

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = {"content-type": "application/json", **(headers or {})}
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        payload = json.dumps({"query": query, "variables": variables or {}}).encode()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._post, payload, all_headers)

    def close(self) -> None:
        self._pool.shutdown(wait=False)


@pytest.fixture(scope="session")
def command_log(settings: Settings) -> CommandLog:
    log = CommandLog(settings.system_db)
    # Global registration: it must precede the app's client, created in the app's lifespan.
    monitoring.register(log)
    return log


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    """A real SMTP server on a free port, keeping what it receives."""
    with MailSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def system_settings(settings: Settings, mail_sink: MailSink) -> Settings:
    """The session's settings with a queue of our own (no other test's worker eats our jobs),
    mail through :func:`mail_sink`, and quick retries: 3 attempts, 0.05 s doubling."""
    return settings.model_copy(
        update={
            "queue_name": f"{settings.queue_name}:system",
            "notification_queue_name": f"{settings.queue_name}:system",  # one burst worker
            "smtp_url": mail_sink.url,
            "smtp_timeout_seconds": 5.0,
            "notification_max_attempts": 3,
            "notification_retry_seconds": 0.05,
            "notification_retry_max_seconds": 0.4,
        }
    )


@pytest.fixture(scope="session")
async def system_url(system_settings: Settings, command_log: CommandLog) -> AsyncIterator[str]:
    """Base URL of the system subgraph running in this session's event loop."""
    async with serve(create_app(system_settings)) as url:
        yield url


@dataclass
class Jobs:
    """The system subgraph's arq jobs on the session's Redis, run by a real worker on demand."""

    settings: Settings
    queue: ArqRedis
    mongo: AsyncMongoClient[dict[str, Any]]

    async def enqueue(self, function: str, *args: Any, job_id: str | None = None) -> None:
        await self.queue.enqueue_job(
            function, *args, _job_id=job_id, _queue_name=self.settings.queue_name
        )

    def worker(self) -> Worker:
        """A burst worker: it runs until no job is queued or deferred (retries included)."""
        assert self.settings.redis_url
        return Worker(
            functions=[*system_jobs.functions, *system_jobs.notification_functions],
            queue_name=self.settings.queue_name,
            redis_settings=RedisSettings.from_dsn(self.settings.redis_url),
            # The documents are bound by the app this session serves: share them, do not rebind.
            ctx={"system": system_jobs.SystemJobContext(self.settings, self.mongo)},
            burst=True,
            poll_delay=0.02,
            handle_signals=False,
        )

    async def run(self, within: float = 60.0) -> None:
        """Run every queued job, and the retries they ask for, to the end."""
        worker = self.worker()
        try:
            await asyncio.wait_for(worker.main(), within)
        finally:
            await worker.close()


@pytest.fixture(scope="session")
async def jobs(system_settings: Settings, system_url: str) -> AsyncIterator[Jobs]:
    assert system_settings.redis_url
    queue = await create_pool(
        RedisSettings.from_dsn(system_settings.redis_url),
        default_queue_name=system_settings.queue_name,
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system_settings.mongo_url)
    await queue.delete(system_settings.queue_name)
    try:
        yield Jobs(system_settings, queue, mongo)
    finally:
        await queue.aclose()
        await mongo.close()


@pytest.fixture(scope="session")
async def gql(system_url: str) -> AsyncIterator[Client]:
    client = Client(f"{system_url}/graphql")
    yield client
    client.close()


@pytest.fixture(scope="session")
async def system_db(settings: Settings) -> AsyncIterator[Any]:
    """The system database, read directly to check what was really stored."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    yield client[settings.system_db]
    await client.close()
