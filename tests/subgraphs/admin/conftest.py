"""The admin subgraph served over real HTTP (uvicorn) on this session's PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from arq.connections import ArqRedis
from starlette.applications import Starlette

from astro.identity import issue_access_token
from astro.settings import Settings
from subgraphs.admin.app import AdminState, create_app
from subgraphs.admin.jobs import shutdown, startup
from subgraphs.admin.resolvers import open_queue
from subgraphs.admin.store import Database, Rocket, RocketRange, Spaceport, Supplier, migrate
from tests.serving import serve


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
    """Posts GraphQL to the running subgraph from a worker thread (the server shares our loop)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _post(self, payload: bytes, headers: dict[str, str]) -> Response:
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return Response(reply.status, json.loads(reply.read()))
        except urllib.error.HTTPError as error:
            return Response(error.code, json.loads(error.read()))

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Response:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        payload = json.dumps({"query": query, "variables": variables or {}}).encode()
        return await asyncio.to_thread(self._post, payload, headers)


@dataclass
class AdminServer:
    app: Starlette
    client: Client

    @property
    def state(self) -> AdminState:
        state: AdminState = self.app.state.admin
        return state


@pytest.fixture(scope="session")
def admin_settings(settings: Settings) -> Settings:
    """The session's settings with a queue of our own, so no other test's worker eats our jobs."""
    return settings.model_copy(update={"queue_name": f"{settings.queue_name}:admin"})


@pytest.fixture(scope="session")
async def admin(admin_settings: Settings) -> AsyncIterator[AdminServer]:
    """The admin app on a free port; its lifespan has migrated the database."""
    app = create_app(admin_settings)
    async with serve(app) as url:
        yield AdminServer(app, Client(f"{url}/graphql"))


@pytest.fixture(scope="session")
async def db(admin_settings: Settings) -> AsyncIterator[Database]:
    """A connection pool of the tests' own, for arranging and checking rows."""
    await migrate(admin_settings)
    database = Database.open(admin_settings)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture(scope="session")
async def queue(admin_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await open_queue(admin_settings)
    assert pool is not None
    try:
        yield pool
    finally:
        await pool.aclose()


@dataclass
class SupplierAccount:
    """A supplier linked to a login, with one rocket and a token to act as it."""

    supplier: Supplier
    rocket: Rocket
    token: str


@pytest.fixture
async def spaceport(db: Database) -> Spaceport:
    code = f"T{uuid.uuid4().hex[:6].upper()}"
    row = Spaceport(code=code, name=f"Test port {code}", location="Test Range, Nevada, USA")
    async with db.sessions.begin() as session:
        session.add(row)
    return row


async def make_supplier(db: Database, settings: Settings, *, capacity: int = 8) -> SupplierAccount:
    """A fresh supplier with its own login and one rocket of ``capacity`` seats."""
    user_id = uuid.uuid4()
    supplier = Supplier(
        name=f"Supplier {user_id.hex[:6]}",
        tax_id="TAX-1",
        legal_address="1 Test Street",
        contact_email=f"{user_id.hex[:8]}@suppliers.example",
        user_id=user_id,
    )
    async with db.sessions.begin() as session:
        session.add(supplier)
        await session.flush()
        rocket = Rocket(
            supplier_id=supplier.id,
            name=f"Rocket {user_id.hex[:4]}",
            capacity=capacity,
            range=RocketRange.LEO,
        )
        session.add(rocket)
    token = issue_access_token(
        settings, sub=str(user_id), email=supplier.contact_email, roles=["supplier"]
    )
    return SupplierAccount(supplier, rocket, token)


@pytest.fixture
async def account(db: Database, admin_settings: Settings) -> SupplierAccount:
    return await make_supplier(db, admin_settings)


@pytest.fixture
def new_supplier(
    db: Database, admin_settings: Settings
) -> Callable[..., Awaitable[SupplierAccount]]:
    """Makes more suppliers (each with its login and a rocket) within one test."""

    async def make(capacity: int = 8) -> SupplierAccount:
        return await make_supplier(db, admin_settings, capacity=capacity)

    return make


@pytest.fixture
def rows(db: Database) -> Callable[[sa.Select[Any]], Awaitable[list[Any]]]:
    """Runs a SELECT on the ledger and returns its rows (first column for single-entity ones)."""

    async def run(statement: sa.Select[Any]) -> list[Any]:
        async with db.sessions() as session:
            return list((await session.scalars(statement)).all())

    return run


@pytest.fixture(scope="session")
async def jobs_ctx(admin_settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """The admin jobs' worker context, as an arq worker's startup builds it."""
    ctx: dict[str, Any] = {"settings": admin_settings}
    await startup(ctx)
    try:
        yield ctx
    finally:
        await shutdown(ctx)


def role_token(settings: Settings, role: str) -> str:
    """A token of a fresh user holding ``role``."""
    user = uuid.uuid4()
    return issue_access_token(
        settings, sub=str(user), email=f"{role}-{user.hex[:8]}@example.com", roles=[role]
    )


@pytest.fixture
def finance(admin_settings: Settings) -> str:
    """A finance employee's token."""
    return role_token(admin_settings, "finance")


@pytest.fixture
def customer(admin_settings: Settings) -> str:
    """A customer's token."""
    return role_token(admin_settings, "customer")
