"""What the ledger tells the notification worker: who to tell is in the events, written in the
transaction of the change, and the relay hands each event to every consumer of its topic."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from subgraphs.admin.jobs import AdminWorker, record_booking, record_cancellation, relay_outbox
from subgraphs.admin.store import Database, OutboxEvent, Refund, Spaceport
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import (
    booking_event,
    cancel_event,
    expected_customer,
    expected_launch,
    expected_supplier,
    make_launch,
)
from tests.subgraphs.admin.test_finance import SETTLE_REFUND
from tests.subgraphs.admin.test_lifecycle_and_finance import ABORT, DELAY

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]


async def _events_of_launch(rows: Rows, launch_id: uuid.UUID, topic: str) -> list[dict[str, Any]]:
    found = await rows(
        sa.select(OutboxEvent.payload)
        .where(OutboxEvent.topic == topic)
        .where(
            sa.or_(
                OutboxEvent.payload["launch"]["id"].astext == str(launch_id),
                OutboxEvent.payload["launch_id"].astext == str(launch_id),
            )
        )
        .order_by(OutboxEvent.id)
    )
    return found


async def test_a_confirmed_booking_tells_customer_and_supplier_and_invoices_the_customer(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport)
    event = booking_event(launch, seats=2)

    assert await record_booking(jobs_ctx, event) == "confirmed"

    [confirmed] = await _events_of_launch(rows, launch.id, "booking.confirmed")
    assert confirmed["customer"] == expected_customer(event)
    assert confirmed["supplier"] == expected_supplier(account)
    [invoiced] = await _events_of_launch(rows, launch.id, "invoice.issued")
    assert invoiced["recipient"] == {
        "name": event["booking"]["customer_email"],
        "email": event["booking"]["customer_email"],
        "user_id": event["booking"]["customer_id"],
    }
    assert invoiced["invoice"]["kind"] == "BOOKING"
    assert invoiced["invoice"]["amount"] == "2000.00"
    assert invoiced["invoice"]["number"].startswith("INV-")
    assert invoiced["launch"] == expected_launch(launch)


async def test_a_delay_names_every_customer_with_an_active_booking_once(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport)
    twice = str(uuid.uuid4())
    bookings = [
        booking_event(launch, customer_id=twice),
        booking_event(launch, customer_id=twice),
        booking_event(launch),
        booking_event(launch),
    ]
    for event in bookings:
        assert await record_booking(jobs_ctx, event) == "confirmed"
    cancelled = bookings[3]
    assert await record_cancellation(jobs_ctx, cancel_event(cancelled)) == "cancelled"
    later = launch.launch_date + timedelta(days=30)

    reply = await admin.client(
        DELAY, {"id": str(launch.id), "d": later.isoformat(), "r": "weather"}, token=account.token
    )

    assert reply.errors == []
    [updated] = await _events_of_launch(rows, launch.id, "launch.updated")
    assert updated["change"] == {
        "action": "delay",
        "from_status": "SCHEDULED",
        "reason": "weather",
        "previous_launch_date": launch.launch_date.astimezone(UTC).isoformat(),
    }
    assert updated["active_customers"] == sorted(
        [expected_customer(bookings[0]), expected_customer(bookings[2])],
        key=lambda customer: customer["id"],
    )
    assert updated["supplier_contact"] == expected_supplier(account)


async def test_an_abort_names_the_customers_and_invoices_the_supplier(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport)
    event = booking_event(launch)
    assert await record_booking(jobs_ctx, event) == "confirmed"

    reply = await admin.client(ABORT, {"id": str(launch.id), "r": "engine"}, token=account.token)

    assert reply.errors == []
    [updated] = await _events_of_launch(rows, launch.id, "launch.updated")
    assert updated["change"]["action"] == "abort"
    assert updated["active_customers"] == [expected_customer(event)]
    invoices = await _events_of_launch(rows, launch.id, "invoice.issued")
    [fee] = [item for item in invoices if item["invoice"]["kind"] == "ABORT_FEE"]
    supplier = account.supplier
    assert fee["recipient"] == {
        "name": supplier.name,
        "email": supplier.contact_email,
        "user_id": str(supplier.user_id),
    }
    assert fee["invoice"]["amount"] == "1000.00"


async def test_a_completed_refund_tells_the_customer(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    launch = await make_launch(
        db, account, spaceport, launch_date=datetime.now(UTC) + timedelta(days=400)
    )
    event = booking_event(launch, seats=2)
    assert await record_booking(jobs_ctx, event) == "confirmed"
    assert await record_cancellation(jobs_ctx, cancel_event(event)) == "cancelled"
    [refund] = await rows(
        sa.select(Refund).where(Refund.booking_id == uuid.UUID(event["booking"]["id"]))
    )

    reply = await admin.client(
        SETTLE_REFUND, {"id": str(refund.id), "s": "COMPLETED"}, token=finance
    )

    assert reply.errors == []
    [processed] = await _events_of_launch(rows, launch.id, "refund.processed")
    assert processed["refund"] == {
        "id": str(refund.id),
        "amount": "1800.00",
        "percent": 90,
        "status": "COMPLETED",
    }
    assert processed["customer"] == expected_customer(event)
    assert processed["booking_id"] == event["booking"]["id"]


async def test_the_relay_hands_each_event_to_every_consumer_of_its_topic(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport)
    assert await record_booking(jobs_ctx, booking_event(launch)) == "confirmed"
    events = await rows(
        sa.select(OutboxEvent).where(
            sa.or_(
                OutboxEvent.payload["launch"]["id"].astext == str(launch.id),
                OutboxEvent.payload["launch_id"].astext == str(launch.id),
            )
        )
    )

    await relay_outbox(jobs_ctx)

    state: AdminWorker = jobs_ctx["admin"]
    queued = {
        job.job_id: job.function
        for job in await state.queue.queued_jobs(queue_name=state.settings.queue_name)
    }
    # The emails go to their own queue (a worker of their own), never ahead of the sync.
    queued_notifications = {
        job.job_id: job.function
        for job in await state.queue.queued_jobs(queue_name=state.settings.notification_queue)
    }
    assert set(queued_notifications.values()) == {"notify_event"}
    assert "notify_event" not in queued.values()
    queued |= queued_notifications
    by_topic = {event.topic: event.event_id for event in events}
    assert set(by_topic) == {"launch.scheduled", "booking.confirmed", "invoice.issued"}
    assert queued[f"event:{by_topic['launch.scheduled']}"] == "apply_launch_event"
    assert f"event:{by_topic['launch.scheduled']}:notify_event" not in queued
    assert queued[f"event:{by_topic['booking.confirmed']}"] == "apply_booking_event"
    assert queued[f"event:{by_topic['booking.confirmed']}:notify_event"] == "notify_event"
    assert queued[f"event:{by_topic['invoice.issued']}"] == "notify_event"
