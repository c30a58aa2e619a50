"""The ledger's outbox events: topics and payloads (the sync contract with the customer store
and the notification worker of the system subgraph).

Every event is written in the transaction of the change it describes and published by
``jobs.relay_outbox`` to every job named for its topic in ``jobs.EVENT_JOBS``. Payloads only ever
gain fields: a consumer ignores what it does not read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.admin.store import (
    Booking,
    Invoice,
    Launch,
    OutboxEvent,
    Refund,
    Rocket,
    Spaceport,
    Supplier,
)

LAUNCH_SCHEDULED = "launch.scheduled"
LAUNCH_UPDATED = "launch.updated"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_REJECTED = "booking.rejected"
BOOKING_CANCELLED = "booking.cancelled"
# For the notification worker only (tell the supplier / the invoice's recipient / the customer).
LAUNCH_VIABILITY_FLAGGED = "launch.viability_flagged"
INVOICE_ISSUED = "invoice.issued"
REFUND_PROCESSED = "refund.processed"

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


def supplier_contact(supplier: Supplier) -> dict[str, Any]:
    """Who to tell at a supplier: its contact email and the login acting for it (if any)."""
    return {
        "id": str(supplier.id),
        "name": supplier.name,
        "contact_email": supplier.contact_email,
        "user_id": None if supplier.user_id is None else str(supplier.user_id),
    }


def launch_summary(launch: Launch) -> dict[str, Any]:
    """What a message about a launch names: where, when (the current date) and its status."""
    return {
        "id": str(launch.id),
        "slug": launch.slug,
        "destination": launch.destination,
        "launch_date": launch.launch_date.astimezone(UTC).isoformat(),
        "status": launch.status.value,
    }


def _customer(booking: Booking) -> dict[str, Any]:
    return {"id": booking.customer_id, "email": booking.customer_email}


@dataclass(frozen=True, slots=True)
class LaunchChange:
    """What a ``launch.updated`` changed, for the people to tell about it."""

    action: str  # confirm, delay, abort, succeed, fail, edit
    from_status: str | None
    reason: str | None
    previous_launch_date: datetime
    # Customers with an active booking (told about a delay or an abort), one entry each.
    active_customers: tuple[tuple[str, str], ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "from_status": self.from_status,
            "reason": self.reason,
            "previous_launch_date": self.previous_launch_date.astimezone(UTC).isoformat(),
        }


def add_launch_event(
    session: AsyncSession, topic: str, parts: LaunchParts, change: LaunchChange | None = None
) -> OutboxEvent:
    """Queue ``launch.scheduled``/``launch.updated`` for the launch (flush first: ``version``).

    Besides the catalog snapshot (``launch``) it carries the supplier's contact and, for a
    lifecycle change or an edit, ``change`` and the ``active_customers`` to tell.
    """
    body: dict[str, Any] = {
        "launch": launch_payload(parts),
        "supplier_contact": supplier_contact(parts.supplier),
    }
    if change is not None:
        body["change"] = change.payload()
        body["active_customers"] = [
            {"id": customer_id, "email": email} for customer_id, email in change.active_customers
        ]
    return add_event(session, topic, body)


def add_booking_confirmed(
    session: AsyncSession, booking: Booking, launch: Launch, supplier: Supplier
) -> OutboxEvent:
    """``booking.confirmed``: the ledger took the booking."""
    return add_event(
        session,
        BOOKING_CONFIRMED,
        {
            "booking_id": str(booking.id),
            "launch_id": str(booking.launch_id),
            "seats": booking.seats,
            "total": str(booking.total),
            "customer": _customer(booking),
            "launch": launch_summary(launch),
            "supplier": supplier_contact(supplier),
        },
    )


def add_booking_rejected(session: AsyncSession, booking: Booking, launch: Launch) -> OutboxEvent:
    """``booking.rejected``: the ledger refused the booking; its seats go back in the catalog."""
    return add_event(
        session,
        BOOKING_REJECTED,
        {
            "booking_id": str(booking.id),
            "launch_id": str(booking.launch_id),
            "seats": booking.seats,
            "reason": booking.reason or "",
            "customer": _customer(booking),
            "launch": launch_summary(launch),
        },
    )


def add_booking_cancelled(
    session: AsyncSession,
    booking: Booking,
    launch: Launch,
    supplier: Supplier,
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
            "customer": _customer(booking),
            "launch": launch_summary(launch),
            "supplier": supplier_contact(supplier),
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
            "supplier": supplier_contact(supplier),
            "threshold_percent": threshold_percent,
            "flagged_at": flagged_at.astimezone(UTC).isoformat(),
        },
    )


def add_invoice_issued(
    session: AsyncSession,
    invoice: Invoice,
    *,
    recipient_email: str,
    recipient_user_id: str | None,
    launch: Launch | None = None,
) -> OutboxEvent:
    """``invoice.issued``: an AstroBookings invoice went to a customer or a supplier (flush the
    invoice first: its number and id)."""
    return add_event(
        session,
        INVOICE_ISSUED,
        {
            "invoice": {
                "id": str(invoice.id),
                "number": invoice.number,
                "kind": invoice.kind.value,
                "amount": str(invoice.amount),
                "currency": invoice.currency,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
                "booking_id": None if invoice.booking_id is None else str(invoice.booking_id),
            },
            "recipient": {
                "name": invoice.recipient,
                "email": recipient_email,
                "user_id": recipient_user_id,
            },
            "launch": None if launch is None else launch_summary(launch),
        },
    )


def add_refund_processed(
    session: AsyncSession, refund: Refund, booking: Booking, launch: Launch
) -> OutboxEvent:
    """``refund.processed``: finance paid a refund out (COMPLETED) to the booking's customer."""
    return add_event(
        session,
        REFUND_PROCESSED,
        {
            "refund": {
                "id": str(refund.id),
                "amount": str(refund.amount),
                "percent": refund.percent,
                "status": refund.status.value,
            },
            "booking_id": str(booking.id),
            "customer": _customer(booking),
            "launch": launch_summary(launch),
        },
    )
