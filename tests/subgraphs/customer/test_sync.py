"""Admin launch events applied to the catalog read model by the real job (and a real worker)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from bson import Decimal128
from pydantic import ValidationError

from astro.settings import Settings
from subgraphs.customer.jobs import apply_launch_event, functions, shutdown, startup
from tests.subgraphs.customer.factories import launch_event

CATALOG_FIELDS = {
    "_id",
    "slug",
    "destination",
    "launch_date",
    "price_per_seat",
    "total_seats",
    "seats_sold",
    "seats_left",
    "status",
    "rocket",
    "supplier",
    "spaceport",
    "version",
}


async def test_new_launch_enters_the_catalog_with_its_free_seats(catalog: Any) -> None:
    event = launch_event(total_seats=10, seats_sold=3, price_per_seat="1250000.50")

    assert await apply_launch_event({}, event) == "inserted"

    stored = await catalog.find_one({"_id": event["launch"]["id"]})
    assert stored["seats_left"] == 7
    assert stored["price_per_seat"] == Decimal128("1250000.50")
    assert stored["rocket"]["name"] == "Ares V"
    assert stored["spaceport"]["code"] == "KSC"
    assert stored["version"] == 1
    assert set(stored) == CATALOG_FIELDS


async def test_applying_the_same_event_twice_changes_nothing(
    catalog: Any, applied_events: Any
) -> None:
    event = launch_event()
    assert await apply_launch_event({}, event) == "inserted"
    before = await catalog.find_one({"_id": event["launch"]["id"]})

    assert await apply_launch_event({}, event) == "duplicate"

    assert await catalog.find_one({"_id": event["launch"]["id"]}) == before
    assert await applied_events.count_documents({"_id": event["event_id"]}) == 1


async def test_concurrent_deliveries_of_one_event_apply_it_once(
    catalog: Any, applied_events: Any
) -> None:
    event = launch_event(total_seats=8)

    outcomes = await asyncio.gather(*(apply_launch_event({}, event) for _ in range(5)))

    assert sorted(outcomes) == ["duplicate"] * 4 + ["inserted"]
    assert (await catalog.find_one({"_id": event["launch"]["id"]}))["seats_left"] == 8
    assert await applied_events.count_documents({"_id": event["event_id"]}) == 1


async def test_older_event_does_not_overwrite_newer_catalog_entry(catalog: Any) -> None:
    first = launch_event(version=1, price_per_seat="100.00")
    launch_id = first["launch"]["id"]
    newer = launch_event(
        launch_id=launch_id, version=3, topic="launch.updated", price_per_seat="300.00"
    )
    older = launch_event(
        launch_id=launch_id, version=2, topic="launch.updated", price_per_seat="200.00"
    )
    assert await apply_launch_event({}, first) == "inserted"
    assert await apply_launch_event({}, newer) == "updated"

    assert await apply_launch_event({}, older) == "stale"

    stored = await catalog.find_one({"_id": launch_id})
    assert stored["version"] == 3
    assert stored["price_per_seat"] == Decimal128("300.00")


async def test_update_moves_seats_left_by_the_change_in_total_seats(catalog: Any) -> None:
    scheduled = launch_event(total_seats=10, seats_sold=0)
    launch_id = scheduled["launch"]["id"]
    await apply_launch_event({}, scheduled)
    # Two seats booked in this store, not yet known to admin.
    await catalog.update_one({"_id": launch_id}, {"$inc": {"seats_left": -2}})

    bigger = launch_event(
        launch_id=launch_id, version=2, topic="launch.updated", total_seats=12, status="DELAYED"
    )
    assert await apply_launch_event({}, bigger) == "updated"

    stored = await catalog.find_one({"_id": launch_id})
    assert (stored["total_seats"], stored["seats_left"], stored["status"]) == (12, 10, "DELAYED")
    assert set(stored) == CATALOG_FIELDS


async def test_update_of_a_launch_not_yet_in_the_catalog_inserts_it(catalog: Any) -> None:
    event = launch_event(topic="launch.updated", version=4, total_seats=6, seats_sold=2)

    assert await apply_launch_event({}, event) == "inserted"

    stored = await catalog.find_one({"_id": event["launch"]["id"]})
    assert (stored["version"], stored["seats_left"]) == (4, 4)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_per_seat": 99.99}, "price_per_seat"),
        ({"price_per_seat": "0"}, "price_per_seat"),
        ({"launch_date": "2030-01-01T10:00:00"}, "launch_date"),
        ({"status": "LOST"}, "status"),
    ],
)
async def test_malformed_event_is_refused_and_writes_nothing(
    catalog: Any, applied_events: Any, change: dict[str, Any], field: str
) -> None:
    event = launch_event(**change)

    with pytest.raises(ValidationError) as refused:
        await apply_launch_event({}, event)

    assert field in str(refused.value)
    assert await catalog.find_one({"_id": event["launch"]["id"]}) is None
    assert await applied_events.find_one({"_id": event["event_id"]}) is None


async def test_unknown_topic_is_refused(catalog: Any) -> None:
    event = launch_event()
    event["topic"] = "launch.teleported"

    with pytest.raises(ValidationError):
        await apply_launch_event({}, event)

    assert await catalog.find_one({"_id": event["launch"]["id"]}) is None


async def test_event_enqueued_on_redis_is_applied_by_an_arq_worker(
    settings: Settings, catalog: Any
) -> None:
    assert settings.redis_url
    redis_settings = RedisSettings.from_dsn(settings.redis_url)
    # A queue of its own: other subgraphs' tests leave their jobs on the session's queue.
    queue_name = f"{settings.queue_name}:customer-{uuid.uuid4().hex[:8]}"
    event = launch_event(total_seats=5, seats_sold=1)
    queue = await create_pool(redis_settings, default_queue_name=queue_name)
    try:
        job = await queue.enqueue_job("apply_launch_event", event)
        assert job is not None
        worker = Worker(
            functions=functions,
            redis_settings=redis_settings,
            queue_name=queue_name,
            burst=True,
            on_startup=startup,
            on_shutdown=shutdown,
            handle_signals=False,
            ctx={"settings": settings},
        )
        try:
            assert await worker.run_check() == 1
        finally:
            await worker.close()
        assert await job.result(timeout=5) == "inserted"
    finally:
        await queue.aclose()

    stored = await catalog.find_one({"_id": event["launch"]["id"]})
    assert stored["seats_left"] == 4
    assert stored["price_per_seat"].to_decimal() == Decimal("1250000.50")
