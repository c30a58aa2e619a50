"""The customer subgraph served over real HTTP (uvicorn) on this session's MongoDB.

Beanie binds document classes once per process, and the app, the job function and an arq worker
all run in this one test process: each test starts with the catalog documents bound to the
session's ``mongo`` client, whose wire commands the tests can count.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, monitoring

from astro.identity import issue_access_token
from astro.settings import Settings
from subgraphs.customer.app import create_app
from subgraphs.customer.store import MongoDoc, bind_store
from tests.serving import serve


@dataclass
class CommandLog(monitoring.CommandListener):
    """The commands a client sent to the customer database."""

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
class GraphQLClient:
    """POSTs GraphQL to the running subgraph."""

    url: str
    http: httpx.AsyncClient

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """The session's stores with a customer database and queue of these tests' own: the
    hundreds of launches and bookings made here stay out of the end-to-end tests' catalog."""
    return settings.model_copy(
        update={
            "customer_db": f"{settings.customer_db}_subgraph",
            "queue_name": f"{settings.queue_name}:customer-subgraph",
        }
    )


@pytest.fixture(scope="session")
def command_log(settings: Settings) -> CommandLog:
    return CommandLog(settings.customer_db)


@pytest.fixture(scope="session")
async def mongo(
    settings: Settings, command_log: CommandLog
) -> AsyncIterator[AsyncMongoClient[MongoDoc]]:
    """This session's MongoDB client, its commands recorded in ``command_log``."""
    client: AsyncMongoClient[MongoDoc] = AsyncMongoClient(
        settings.mongo_url, tz_aware=True, event_listeners=[command_log]
    )
    yield client
    await client.close()


@pytest.fixture(scope="session")
async def customer_api(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """The customer subgraph running in this session's event loop, and a client of it."""
    async with serve(create_app(settings)) as url, httpx.AsyncClient(timeout=30) as http:
        yield GraphQLClient(f"{url}/graphql", http)


@pytest.fixture(autouse=True)
async def catalog_bound_to_session_client(
    customer_api: GraphQLClient, mongo: AsyncMongoClient[MongoDoc], settings: Settings
) -> None:
    # After the app's lifespan or a worker's startup bound the documents to their own clients.
    await bind_store(mongo[settings.customer_db])


@pytest.fixture
def catalog(mongo: AsyncMongoClient[MongoDoc], settings: Settings) -> Any:
    """The raw ``launches`` collection, for assertions on what is really stored."""
    return mongo[settings.customer_db]["launches"]


@pytest.fixture
def applied_events(mongo: AsyncMongoClient[MongoDoc], settings: Settings) -> Any:
    return mongo[settings.customer_db]["applied_events"]


@dataclass(frozen=True)
class Caller:
    """A logged-in customer: their user id, email and access token."""

    id: str
    email: str
    token: str


def new_customer(settings: Settings) -> Caller:
    """A customer no other test knows, with a valid access token."""
    user_id = str(uuid.uuid4())
    email = f"{user_id[:8]}@example.com"
    token = issue_access_token(settings, sub=user_id, email=email, roles=["customer"])
    return Caller(user_id, email, token)


@pytest.fixture
def customer(settings: Settings) -> Caller:
    return new_customer(settings)


@pytest.fixture
def customer_db(mongo: AsyncMongoClient[MongoDoc], settings: Settings) -> Any:
    """The raw customer database, for assertions on what is really stored."""
    return mongo[settings.customer_db]


@pytest.fixture
def destination() -> str:
    """A destination no other test uses, so catalog listings see only this test's launches."""
    return f"Mars-{uuid.uuid4().hex[:8]}"
