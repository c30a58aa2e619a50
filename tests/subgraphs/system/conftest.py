"""The system subgraph served over real HTTP (uvicorn) on this session's MongoDB."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from astro.settings import Settings
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
async def system_url(settings: Settings, command_log: CommandLog) -> AsyncIterator[str]:
    """Base URL of the system subgraph running in this session's event loop."""
    async with serve(create_app(settings)) as url:
        yield url


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
