"""The booking ledger: record_booking and record_cancellation jobs on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from arq import Retry
from arq.constants import job_key_prefix

from astro.refunds import months_before
from subgraphs.admin.jobs import AdminWorker, record_booking, record_cancellation, relay_outbox
from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Database,
    Invoice,
    InvoiceKind,
    Launch,
    LaunchStatus,
    MoneyStatus,
    OutboxEvent,
    Passenger,
    Payment,
    Refund,
    Spaceport,
)
from tests.subgraphs.admin.conftest import SupplierAccount
from tests.subgraphs.admin.factories import (
    booking_event,
    cancel_event,
    expected_customer,
    expected_launch,
    expected_supplier,
    make_launch,
)

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]


async def _events(rows: Rows, booking_id: str) -> list[OutboxEvent]:
    return await rows(
        sa.select(OutboxEvent)
        .where(OutboxEvent.payload["booking_id"].astext == booking_id)
        .order_by(OutboxEvent.id)
    )


async def _seats_sold(rows: Rows, launch: Launch) -> int:
    [sold] = await rows(sa.select(Launch.seats_sold).where(Launch.id == launch.id))
    return int(sold)


async def test_record_booking_confirms_takes_seats_and_issues_the_customer_invoice(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport, seats=6, price="1250.50")
    event = booking_event(launch, seats=2)
    booking_id = event["booking"]["id"]

    assert await record_booking(jobs_ctx, event) == "confirmed"

    [booking] = await rows(sa.select(Booking).where(Booking.id == uuid.UUID(booking_id)))
    assert (booking.status, booking.seats, booking.total) == (
        BookingStatus.CONFIRMED,
        2,
        Decimal("2501.00"),
    )
    passengers = await rows(
        sa.select(Passenger).where(Passenger.booking_id == booking.id).order_by(Passenger.position)
    )
    assert [p.name for p in passengers] == ["Passenger 0", "Passenger 1"]
    assert await _seats_sold(rows, launch) == 2
    [invoice] = await rows(sa.select(Invoice).where(Invoice.booking_id == booking.id))
    assert invoice.kind is InvoiceKind.BOOKING
    assert (invoice.recipient, invoice.amount) == (
        event["booking"]["customer_email"],
        booking.total,
    )
    assert invoice.number.startswith(f"INV-{datetime.now(UTC).year}-")
    [payment] = await rows(sa.select(Payment).where(Payment.invoice_id == invoice.id))
    assert (payment.status, payment.amount) == (MoneyStatus.PENDING, booking.total)
    [confirmed] = await _events(rows, booking_id)
    assert confirmed.topic == "booking.confirmed"
    assert confirmed.payload == {
        "contract_version": 1,
        "event_id": str(confirmed.event_id),
        "topic": "booking.confirmed",
        "booking_id": booking_id,
        "launch_id": str(launch.id),
        "seats": 2,
        "total": "2501.00",
        "customer": expected_customer(event),
        "launch": expected_launch(launch),
        "supplier": expected_supplier(account),
    }


async def test_record_booking_is_idempotent_by_booking_id(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport)
    event = booking_event(launch, seats=2)

    outcomes = [await record_booking(jobs_ctx, event), await record_booking(jobs_ctx, event)]

    assert outcomes == ["confirmed", "duplicate"]
    assert await _seats_sold(rows, launch) == 2
    assert len(await _events(rows, event["booking"]["id"])) == 1
    assert len(await rows(sa.select(Invoice).where(Invoice.launch_id == launch.id))) == 1


async def test_record_booking_rejects_when_not_enough_seats_are_left(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport, seats=3)
    assert await record_booking(jobs_ctx, booking_event(launch, seats=2)) == "confirmed"
    event = booking_event(launch, seats=2)

    assert await record_booking(jobs_ctx, event) == "rejected"

    [booking] = await rows(
        sa.select(Booking).where(Booking.id == uuid.UUID(event["booking"]["id"]))
    )
    assert booking.status is BookingStatus.REJECTED
    assert booking.reason == "Only 1 seat(s) left; 2 requested."
    assert await _seats_sold(rows, launch) == 2
    assert await rows(sa.select(Invoice).where(Invoice.booking_id == booking.id)) == []
    [rejected] = await _events(rows, event["booking"]["id"])
    assert rejected.payload == {
        "contract_version": 1,
        "event_id": str(rejected.event_id),
        "topic": "booking.rejected",
        "booking_id": event["booking"]["id"],
        "launch_id": str(launch.id),
        "seats": 2,
        "reason": "Only 1 seat(s) left; 2 requested.",
        "customer": expected_customer(event),
        "launch": expected_launch(launch),
    }


@pytest.mark.parametrize(
    ("status", "days", "reason"),
    [
        (LaunchStatus.ABORTED, 400, "ABORTED"),
        (LaunchStatus.SUCCESSFUL, -3, "SUCCESSFUL"),
        (LaunchStatus.CONFIRMED, -1, "date has passed"),
    ],
)
async def test_record_booking_rejects_a_launch_that_is_over_or_past_its_date(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    status: LaunchStatus,
    days: int,
    reason: str,
) -> None:
    when = datetime.now(UTC) + timedelta(days=days)
    launch = await make_launch(db, account, spaceport, launch_date=when, status=status)
    event = booking_event(launch)

    assert await record_booking(jobs_ctx, event) == "rejected"

    [booking] = await rows(
        sa.select(Booking).where(Booking.id == uuid.UUID(event["booking"]["id"]))
    )
    assert reason in (booking.reason or "")
    assert await _seats_sold(rows, launch) == 0


async def test_record_booking_never_oversells_under_concurrency(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport, seats=5)
    events = [booking_event(launch, seats=2) for _ in range(8)]

    outcomes = await asyncio.gather(*(record_booking(jobs_ctx, event) for event in events))

    assert sorted(outcomes) == ["confirmed"] * 2 + ["rejected"] * 6
    assert await _seats_sold(rows, launch) == 4
    confirmed = await rows(
        sa.select(sa.func.sum(Booking.seats)).where(
            Booking.launch_id == launch.id, Booking.status == BookingStatus.CONFIRMED
        )
    )
    assert confirmed == [4]


async def _booked(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    launch_date: datetime,
    seats: int = 2,
) -> tuple[Launch, dict[str, Any]]:
    launch = await make_launch(db, account, spaceport, launch_date=launch_date, seats=6)
    event = booking_event(launch, seats=seats)
    assert await record_booking(jobs_ctx, event) == "confirmed"
    return launch, event


LAUNCH_AT = datetime(2031, 5, 31, 15, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("requested_at", "percent", "released"),
    [
        (months_before(LAUNCH_AT, 12), 90, True),
        (months_before(LAUNCH_AT, 12) + SECOND, 70, True),
        (months_before(LAUNCH_AT, 3), 70, True),
        (months_before(LAUNCH_AT, 3) + SECOND, 0, False),
    ],
)
async def test_cancellation_refund_follows_the_tiers_at_their_exact_boundaries(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    requested_at: datetime,
    percent: int,
    released: bool,
) -> None:
    launch, booked = await _booked(db, account, spaceport, jobs_ctx, LAUNCH_AT)
    total = Decimal(booked["booking"]["total"])
    expected = (total * percent / 100).quantize(Decimal("0.01"))

    outcome = await record_cancellation(jobs_ctx, cancel_event(booked, requested_at))

    assert outcome == "cancelled"
    [booking] = await rows(
        sa.select(Booking).where(Booking.id == uuid.UUID(booked["booking"]["id"]))
    )
    assert (booking.status, booking.refund_percent, booking.cancelled_by) == (
        BookingStatus.CANCELLED,
        percent,
        "customer",
    )
    assert await _seats_sold(rows, launch) == (0 if released else 2)
    refunds = await rows(sa.select(Refund).where(Refund.booking_id == booking.id))
    if percent:
        [refund] = refunds
        assert (refund.amount, refund.status) == (expected, MoneyStatus.PENDING)
    else:
        assert refunds == []
    [_, cancelled] = await _events(rows, booked["booking"]["id"])
    assert cancelled.payload == {
        "contract_version": 1,
        "event_id": str(cancelled.event_id),
        "topic": "booking.cancelled",
        "booking_id": booked["booking"]["id"],
        "launch_id": str(launch.id),
        "seats": 2,
        "seats_released": released,
        "refund_percent": percent,
        "refund_amount": str(expected),
        "cancelled_by": "customer",
        "customer": expected_customer(booked),
        "launch": expected_launch(launch),
        "supplier": expected_supplier(account),
    }


async def test_cancellation_is_idempotent(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch, booked = await _booked(db, account, spaceport, jobs_ctx, LAUNCH_AT)
    event = cancel_event(booked, months_before(LAUNCH_AT, 13))

    outcomes = [
        await record_cancellation(jobs_ctx, event),
        await record_cancellation(jobs_ctx, event),
    ]

    assert outcomes == ["cancelled", "duplicate"]
    assert await _seats_sold(rows, launch) == 0
    assert len(await _events(rows, booked["booking"]["id"])) == 2


async def test_cancellation_arriving_before_its_booking_is_retried(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
) -> None:
    launch = await make_launch(db, account, spaceport)
    early = booking_event(launch)

    with pytest.raises(Retry):
        await record_cancellation(jobs_ctx, cancel_event(early))

    assert await record_booking(jobs_ctx, early) == "confirmed"
    assert await record_cancellation(jobs_ctx, cancel_event(early)) == "cancelled"


async def test_cancellation_by_someone_else_than_the_booking_customer_is_ignored(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch, booked = await _booked(db, account, spaceport, jobs_ctx, LAUNCH_AT)
    forged = cancel_event(booked) | {"customer_id": str(uuid.uuid4())}

    assert await record_cancellation(jobs_ctx, forged) == "ignored"
    assert await _seats_sold(rows, launch) == 2


async def test_booking_events_are_relayed_to_the_customers_apply_booking_event_job(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    _launch, booked = await _booked(db, account, spaceport, jobs_ctx, LAUNCH_AT)
    await record_cancellation(jobs_ctx, cancel_event(booked, months_before(LAUNCH_AT, 13)))
    events = await _events(rows, booked["booking"]["id"])

    await relay_outbox(jobs_ctx)

    state: AdminWorker = jobs_ctx["admin"]
    queued = {
        job.job_id: job
        for job in await state.queue.queued_jobs(queue_name=state.settings.queue_name)
    }
    for event in events:
        job = queued[f"event:{event.event_id}"]
        assert (job.function, job.args) == ("apply_booking_event", (event.payload,))


async def test_a_booking_asked_again_after_its_answer_went_out_gets_the_answer_again(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport)
    event = booking_event(launch, seats=1)
    queue = jobs_ctx["admin"].queue
    queue_name = jobs_ctx["admin"].settings.queue_name

    assert await record_booking(jobs_ctx, event) == "confirmed"
    [answer] = await _events(rows, event["booking"]["id"])
    # Not published yet: asking again leaves it to the relay.
    assert await record_booking(jobs_ctx, event) == "duplicate"
    resent = f"event:{answer.event_id}:resent:"
    assert not [j for j in await queue.queued_jobs(queue_name=queue_name) if resent in j.job_id]

    await relay_outbox(jobs_ctx)
    # Asked again while the answer's job is still queued (a backlog): it will be applied.
    assert await record_booking(jobs_ctx, event) == "duplicate"
    assert not [j for j in await queue.queued_jobs(queue_name=queue_name) if resent in j.job_id]

    # The answer's job was lost (dropped after its last try): the same answer goes out again,
    # once however often the customer store asks.
    original = f"event:{answer.event_id}"
    await queue.zrem(queue_name, original)
    await queue.delete(job_key_prefix + original)
    assert await record_booking(jobs_ctx, event) == "duplicate"
    assert await record_booking(jobs_ctx, event) == "duplicate"
    [again] = [
        job
        for job in await queue.queued_jobs(queue_name=queue_name)
        if job.job_id and job.job_id.startswith(resent)
    ]
    assert again.function == "apply_booking_event"
    assert again.args == (answer.payload,)
    assert await _seats_sold(rows, launch) == 1
