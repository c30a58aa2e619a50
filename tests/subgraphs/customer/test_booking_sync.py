"""The booking sync: the outbox relay to the ledger's jobs and the ledger's answers applied."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import job_key_prefix
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from astro.settings import Settings
from subgraphs.customer.booking_sync import apply_booking_change
from subgraphs.customer.jobs import (
    apply_booking_event,
    redrive_customer_outbox,
    relay_customer_outbox,
)
from subgraphs.customer.store import MongoDoc
from tests.subgraphs.customer.booking_api import CANCEL, book, launch
from tests.subgraphs.customer.conftest import Caller, GraphQLClient, new_customer
from tests.subgraphs.customer.factories import ledger_answer, passengers


@pytest.fixture
async def private_queue(settings: Settings) -> AsyncIterator[tuple[ArqRedis, str]]:
    """An arq pool and a queue name no worker listens on, to look at what was enqueued."""
    assert settings.redis_url
    name = f"{settings.queue_name}:relay-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url), default_queue_name=name)
    yield pool, name
    await pool.aclose()


async def _pending_booking(
    api: GraphQLClient, caller: Caller, seats: int = 2, **launch_fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    target = await launch(**launch_fields)
    body = await book(api, caller, target["id"], passengers(seats))
    assert "errors" not in body, body
    booking: dict[str, Any] = body["data"]["bookSeats"]
    return target, booking


def _event(topic: str, booking: dict[str, Any], launch_id: str, **fields: Any) -> dict[str, Any]:
    return ledger_answer(topic, booking["id"], launch_id, **fields)


async def test_relay_enqueues_the_ledger_jobs_by_event_id_and_marks_them_published(
    customer_api: GraphQLClient,
    customer: Caller,
    customer_db: Any,
    settings: Settings,
    private_queue: tuple[ArqRedis, str],
) -> None:
    pool, name = private_queue
    target, booking = await _pending_booking(customer_api, customer, days_ahead=400)
    assert "errors" not in await customer_api(CANCEL, {"id": booking["id"]}, token=customer.token)
    entries = {
        entry["topic"]: entry
        for entry in await customer_db["outbox"]
        .find(
            {"$or": [{"payload.booking.id": booking["id"]}, {"payload.booking_id": booking["id"]}]}
        )
        .to_list()
    }

    ctx = {"redis": pool, "settings": settings.model_copy(update={"queue_name": name})}
    assert await relay_customer_outbox(ctx) >= 2
    assert await relay_customer_outbox(ctx) == 0

    jobs = {job.job_id: job for job in await pool.queued_jobs(queue_name=name)}
    requested = entries["booking.requested"]
    cancel = entries["booking.cancel_requested"]
    assert jobs[f"event:{requested['_id']}"].function == "record_booking"
    assert jobs[f"event:{requested['_id']}"].args == (requested["payload"],)
    assert jobs[f"event:{cancel['_id']}"].function == "record_cancellation"
    assert jobs[f"event:{cancel['_id']}"].args == (cancel["payload"],)
    for entry in entries.values():
        stored = await customer_db["outbox"].find_one({"_id": entry["_id"]})
        assert stored["published_at"] is not None
    assert target["id"]


async def test_confirmation_confirms_a_pending_booking_once(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking = await _pending_booking(customer_api, customer)
    event = _event("booking.confirmed", booking, target["id"])

    assert await apply_booking_event({}, event) == "confirmed"
    assert await apply_booking_event({}, event) == "duplicate"

    stored = await customer_db["bookings"].find_one({"_id": booking["id"]})
    assert stored["status"] == "CONFIRMED"
    assert stored["confirmed_at"] is not None


async def test_answer_for_a_booking_held_by_an_open_transaction_gives_up_in_time_then_applies(
    customer_api: GraphQLClient,
    customer: Caller,
    customer_db: Any,
    mongo: AsyncMongoClient[MongoDoc],
) -> None:
    target, booking = await _pending_booking(customer_api, customer)
    event = _event("booking.confirmed", booking, target["id"])
    # Another process's transaction holds the booking: to the server, what a worker killed
    # mid-apply leaves behind until the transaction is reaped.
    async with mongo.start_session() as holder:
        await holder.start_transaction()
        await customer_db["bookings"].update_one(
            {"_id": booking["id"]}, {"$set": {"updated_at": datetime.now(UTC)}}, session=holder
        )
        started = time.monotonic()
        with pytest.raises(PyMongoError):
            await apply_booking_change(event, within=1)
        gave_up_after = time.monotonic() - started
        await holder.abort_transaction()

    assert gave_up_after < 3
    assert (await customer_db["bookings"].find_one({"_id": booking["id"]}))["status"] == "PENDING"
    assert await apply_booking_event({}, event) == "confirmed"
    assert await apply_booking_event({}, event) == "duplicate"
    assert (
        await customer_db["applied_booking_events"].count_documents({"_id": event["event_id"]}) == 1
    )


async def test_rejection_gives_the_seats_back_and_tells_the_customer_why(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking = await _pending_booking(customer_api, customer, seats=3, total_seats=10)
    event = _event(
        "booking.rejected", booking, target["id"], seats=3, reason="The launch is ABORTED."
    )

    outcomes = await asyncio.gather(*(apply_booking_event({}, event) for _ in range(3)))

    assert sorted(outcomes) == ["duplicate", "duplicate", "rejected"]
    stored = await customer_db["bookings"].find_one({"_id": booking["id"]})
    assert (stored["status"], stored["rejection_reason"]) == ("REJECTED", "The launch is ABORTED.")
    assert stored["seats_released"] is True
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10
    hold = await customer_db["seat_holds"].find_one({"_id": f"{customer.id}:{target['id']}"})
    assert hold["seats"] == 0


async def test_cancellation_by_finance_gives_the_seats_back_with_the_refund(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking = await _pending_booking(customer_api, customer, seats=2, total_seats=10)
    await apply_booking_event({}, _event("booking.confirmed", booking, target["id"]))
    event = _event(
        "booking.cancelled",
        booking,
        target["id"],
        seats=2,
        seats_released=True,
        refund_percent=90,
        refund_amount="2250001.80",
        cancelled_by="finance",
    )

    assert await apply_booking_event({}, event) == "cancelled"

    stored = await customer_db["bookings"].find_one({"_id": booking["id"]})
    assert stored["status"] == "CANCELLED"
    assert (stored["cancelled_by"], stored["refund_percent"]) == ("finance", 90)
    assert str(stored["refund_amount"]) == "2250001.80"
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10


async def test_cancellation_without_released_seats_keeps_them_sold(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking = await _pending_booking(customer_api, customer, seats=2, total_seats=10)
    event = _event(
        "booking.cancelled",
        booking,
        target["id"],
        seats=2,
        seats_released=False,
        refund_percent=0,
        refund_amount="0.00",
        cancelled_by="finance",
    )

    assert await apply_booking_event({}, event) == "cancelled"

    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 8


async def test_ledger_cancellation_after_the_customers_does_not_return_the_seats_twice(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking = await _pending_booking(
        customer_api, customer, seats=2, total_seats=10, days_ahead=400
    )
    assert "errors" not in await customer_api(CANCEL, {"id": booking["id"]}, token=customer.token)
    event = _event(
        "booking.cancelled",
        booking,
        target["id"],
        seats=2,
        seats_released=True,
        refund_percent=90,
        refund_amount="2250001.80",
        cancelled_by="customer",
    )

    assert await apply_booking_event({}, event) == "cancelled"

    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10
    hold = await customer_db["seat_holds"].find_one({"_id": f"{customer.id}:{target['id']}"})
    assert hold["seats"] == 0


async def test_abort_cancels_with_a_full_refund(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking = await _pending_booking(customer_api, customer, seats=1, total_seats=10)
    event = _event(
        "booking.cancelled",
        booking,
        target["id"],
        seats=1,
        seats_released=True,
        refund_percent=100,
        refund_amount="1250000.50",
        cancelled_by="abort",
    )

    assert await apply_booking_event({}, event) == "cancelled"

    stored = await customer_db["bookings"].find_one({"_id": booking["id"]})
    assert (stored["status"], stored["refund_percent"], stored["cancelled_by"]) == (
        "CANCELLED",
        100,
        "abort",
    )


async def test_malformed_booking_event_is_refused(customer_db: Any) -> None:
    event = {"event_id": str(uuid.uuid4()), "topic": "booking.teleported", "booking_id": "x"}

    with pytest.raises(ValidationError):
        await apply_booking_event({}, event)

    assert await customer_db["applied_booking_events"].find_one({"_id": event["event_id"]}) is None


async def _lose_job(pool: ArqRedis, name: str, job_id: str) -> None:
    """What a failed or lost job leaves: nothing queued under its id."""
    await pool.zrem(name, job_id)
    await pool.delete(job_key_prefix + job_id)


async def test_unanswered_request_is_published_again_under_a_fresh_job_id(
    customer_api: GraphQLClient,
    customer: Caller,
    customer_db: Any,
    settings: Settings,
    private_queue: tuple[ArqRedis, str],
) -> None:
    pool, name = private_queue
    target, booking = await _pending_booking(customer_api, customer)
    ctx = {"redis": pool, "settings": settings.model_copy(update={"queue_name": name})}
    await relay_customer_outbox(ctx)
    [entry] = await customer_db["outbox"].find({"booking_id": booking["id"]}).to_list()
    long_ago = entry["published_at"] - timedelta(minutes=1)
    await customer_db["outbox"].update_one(
        {"_id": entry["_id"]}, {"$set": {"published_at": long_ago}}
    )
    # Its job is still queued (a backlog): it will answer, so nothing is published again.
    await redrive_customer_outbox(ctx)
    jobs = [str(job.job_id) for job in await pool.queued_jobs(queue_name=name)]
    assert [job for job in jobs if entry["_id"] in job] == [f"event:{entry['_id']}"]

    # The ledger's job failed (say PostgreSQL was down) and nothing answered for a while.
    await _lose_job(pool, name, f"event:{entry['_id']}")
    await redrive_customer_outbox(ctx)
    await apply_booking_event({}, _event("booking.confirmed", booking, target["id"]))
    await customer_db["outbox"].update_one(
        {"_id": entry["_id"]}, {"$set": {"published_at": long_ago}}
    )
    await _lose_job(pool, name, f"event:{entry['_id']}:1")
    await redrive_customer_outbox(ctx)  # answered meanwhile: not published again

    jobs = [str(job.job_id) for job in await pool.queued_jobs(queue_name=name)]
    assert [job for job in jobs if entry["_id"] in job] == []
    stored = await customer_db["outbox"].find_one({"_id": entry["_id"]})
    assert stored["attempts"] == 2
    assert stored["acknowledged_at"] is not None


async def test_redrive_waits_twice_as_long_after_each_publication(
    customer_api: GraphQLClient,
    customer: Caller,
    customer_db: Any,
    settings: Settings,
    private_queue: tuple[ArqRedis, str],
) -> None:
    pool, name = private_queue
    _, booking = await _pending_booking(customer_api, customer)
    ctx = {"redis": pool, "settings": settings.model_copy(update={"queue_name": name})}
    await relay_customer_outbox(ctx)
    [entry] = await customer_db["outbox"].find({"booking_id": booking["id"]}).to_list()
    await _lose_job(pool, name, f"event:{entry['_id']}")
    # Published three times already: the next try is due 60 s after the last one, not 15 s.
    await customer_db["outbox"].update_one(
        {"_id": entry["_id"]},
        {"$set": {"attempts": 3, "published_at": datetime.now(UTC) - timedelta(seconds=40)}},
    )
    await redrive_customer_outbox(ctx)
    stored = await customer_db["outbox"].find_one({"_id": entry["_id"]})
    assert stored["published_at"] is not None and stored["attempts"] == 3

    await customer_db["outbox"].update_one(
        {"_id": entry["_id"]},
        {"$set": {"published_at": datetime.now(UTC) - timedelta(seconds=61)}},
    )
    await redrive_customer_outbox(ctx)
    stored = await customer_db["outbox"].find_one({"_id": entry["_id"]})
    assert stored["attempts"] == 4
    jobs = [str(job.job_id) for job in await pool.queued_jobs(queue_name=name)]
    assert f"event:{entry['_id']}:3" in jobs


async def test_confirmations_arriving_together_each_get_their_own_outcome(
    customer_api: GraphQLClient, customer_db: Any, settings: Settings
) -> None:
    # Three customers (the per-customer cap), four bookings on one launch, confirmed at once,
    # one confirmation delivered twice and one for a booking this store never had.
    target = await launch()
    bookings = []
    for _ in range(4):
        body = await book(customer_api, new_customer(settings), target["id"], passengers(1))
        assert "errors" not in body, body
        bookings.append(body["data"]["bookSeats"])
    events = [_event("booking.confirmed", booking, target["id"]) for booking in bookings]
    stranger = _event("booking.confirmed", {"id": str(uuid.uuid4())}, target["id"])

    outcomes = await asyncio.gather(
        *(apply_booking_change(event) for event in [*events, events[0], stranger])
    )

    assert [outcome for outcome, _ in outcomes] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "confirmed",
        "duplicate",
        "unknown_booking",
    ]
    for booking in bookings:
        stored = await customer_db["bookings"].find_one({"_id": booking["id"]})
        assert stored["status"] == "CONFIRMED"
        entry = await customer_db["outbox"].find_one({"booking_id": booking["id"]})
        assert entry["acknowledged_at"] is not None
    applied = await customer_db["applied_booking_events"].count_documents(
        {"_id": {"$in": [event["event_id"] for event in [*events, stranger]]}}
    )
    assert applied == 5
    # Delivered again later: a duplicate, nothing changes.
    assert (await apply_booking_change(events[1]))[0] == "duplicate"
