"""The ledger's outbox events: topics and payloads (the sync contract with the customer store).

Every event is written in the transaction of the change it describes and published by
``jobs.relay_outbox`` to the job named in ``jobs.EVENT_JOBS``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.admin.store import Booking, Launch, OutboxEvent, Rocket, Spaceport, Supplier

LAUNCH_SCHEDULED = "launch.scheduled"
LAUNCH_UPDATED = "launch.updated"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_REJECTED = "booking.rejected"
BOOKING_CANCELLED = "booking.cancelled"
# For the notification worker (tell the supplier); not mapped in ``jobs.EVENT_JOBS`` until a job
# consumes it, so the relay leaves it in the outbox.
LAUNCH_VIABILITY_FLAGGED = "launch.viability_flagged"

CancelledBy = Literal["customer", "finance", "abort"]


@dataclass(frozen=True, slots=True)
class LaunchParts:
    """A launch with the rows it refers to."""

    launch: Launch
    rocket: Rocket
    supplier: Supplier
    spaceport: Spaceport


def add_event(session: AsyncSession, topic: str, body: dict[str, Any]) -> OutboxEvent:
    """Queue ``topic`` with ``body`` (plus ``event_id`` and ``topic``) in ``session``'s transaction."""
    event_id = uuid.uuid4()
    event = OutboxEvent(
        event_id=event_id,
        topic=topic,
        payload={"event_id": str(event_id), "topic": topic, **body},
    )
    session.add(event)
    return event


def launch_payload(parts: LaunchParts) -> dict[str, Any]:
    """The ``launch`` object of a launch event: the full snapshot at its current ``version``."""
    launch, rocket, supplier, spaceport = (
        parts.launch,
        parts.rocket,
        parts.supplier,
        parts.spaceport,
    )
    return {
        "id": str(launch.id),
        "slug": launch.slug,
        "destination": launch.destination,
        "launch_date": launch.launch_date.astimezone(UTC).isoformat(),
        "price_per_seat": str(launch.price_per_seat),
        "total_seats": launch.total_seats,
        "seats_sold": launch.seats_sold or 0,
        "status": launch.status.value,
        "rocket": {
            "id": str(rocket.id),
            "name": rocket.name,
            "capacity": rocket.capacity,
            "range": rocket.range.value,
        },
        "supplier": {"id": str(supplier.id), "name": supplier.name},
        "spaceport": {
            "id": str(spaceport.id),
            "code": spaceport.code,
            "name": spaceport.name,
            "location": spaceport.location,
        },
        "version": launch.version,
    }


def add_launch_event(session: AsyncSession, topic: str, parts: LaunchParts) -> OutboxEvent:
    """Queue ``launch.scheduled``/``launch.updated`` for the launch (flush first: ``version``)."""
    return add_event(session, topic, {"launch": launch_payload(parts)})


def add_booking_confirmed(session: AsyncSession, booking: Booking) -> OutboxEvent:
    """``booking.confirmed``: the ledger took the booking."""
    return add_event(
        session,
        BOOKING_CONFIRMED,
        {"booking_id": str(booking.id), "launch_id": str(booking.launch_id)},
    )


def add_booking_rejected(session: AsyncSession, booking: Booking) -> OutboxEvent:
    """``booking.rejected``: the ledger refused the booking; its seats go back in the catalog."""
    return add_event(
        session,
        BOOKING_REJECTED,
        {
            "booking_id": str(booking.id),
            "launch_id": str(booking.launch_id),
            "seats": booking.seats,
            "reason": booking.reason or "",
        },
    )


def add_booking_cancelled(
    session: AsyncSession,
    booking: Booking,
    *,
    seats_released: bool,
    refund_percent: int,
    refund_amount: Decimal,
    cancelled_by: CancelledBy,
) -> OutboxEvent:
    """``booking.cancelled``: the seats come back only when ``seats_released``."""
    return add_event(
        session,
        BOOKING_CANCELLED,
        {
            "booking_id": str(booking.id),
            "launch_id": str(booking.launch_id),
            "seats": booking.seats,
            "seats_released": seats_released,
            "refund_percent": refund_percent,
            "refund_amount": str(refund_amount),
            "cancelled_by": cancelled_by,
        },
    )


def add_viability_flagged(
    session: AsyncSession,
    launch: Launch,
    supplier: Supplier,
    *,
    flagged_at: datetime,
    threshold_percent: int,
) -> OutboxEvent:
    """``launch.viability_flagged``: under the threshold three months out; its supplier decides."""
    return add_event(
        session,
        LAUNCH_VIABILITY_FLAGGED,
        {
            "launch": {
                "id": str(launch.id),
                "slug": launch.slug,
                "destination": launch.destination,
                "launch_date": launch.launch_date.astimezone(UTC).isoformat(),
                "status": launch.status.value,
                "total_seats": launch.total_seats,
                "seats_sold": launch.seats_sold,
            },
            "supplier": {
                "id": str(supplier.id),
                "name": supplier.name,
                "contact_email": supplier.contact_email,
                "user_id": None if supplier.user_id is None else str(supplier.user_id),
            },
            "threshold_percent": threshold_percent,
            "flagged_at": flagged_at.astimezone(UTC).isoformat(),
        },
    )
