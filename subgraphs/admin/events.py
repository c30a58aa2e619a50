"""The ledger's outbox events: the contracts of :mod:`astro.contracts` built from ledger rows.

Every event is written in the transaction of the change it describes and published by
``jobs.relay_outbox`` (:mod:`astro.outbox`) to every job its topic goes to
(:data:`astro.contracts.jobs.TOPIC_JOBS`): the catalog and bookings sync of the customer subgraph,
the notifications of the system subgraph.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from astro.contracts.bookings import (
    BookingCancelled,
    BookingConfirmed,
    BookingRejected,
    CancelledBy,
)
from astro.contracts.finance import (
    InvoiceInfo,
    InvoiceIssued,
    InvoiceRecipient,
    RefundInfo,
    RefundProcessed,
)
from astro.contracts.launches import (
    LaunchChange as ChangeInfo,
)
from astro.contracts.launches import (
    LaunchScheduled,
    LaunchUpdated,
    ViabilityFlagged,
    ViabilityLaunch,
)
from astro.contracts.message import Message, new_event_id
from astro.contracts.parts import (
    LaunchSnapshot,
    LaunchSummary,
    Person,
    RocketInfo,
    SpaceportInfo,
    SupplierContact,
    SupplierInfo,
)
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

LAUNCH_SCHEDULED = LaunchScheduled.TOPIC
LAUNCH_UPDATED = LaunchUpdated.TOPIC
BOOKING_CONFIRMED = BookingConfirmed.TOPIC
BOOKING_REJECTED = BookingRejected.TOPIC
BOOKING_CANCELLED = BookingCancelled.TOPIC
# For the notification worker only (tell the supplier / the invoice's recipient / the customer).
LAUNCH_VIABILITY_FLAGGED = ViabilityFlagged.TOPIC
INVOICE_ISSUED = InvoiceIssued.TOPIC
REFUND_PROCESSED = RefundProcessed.TOPIC

__all__ = ["CancelledBy"]


@dataclass(frozen=True, slots=True)
class LaunchParts:
    """A launch with the rows it refers to."""

    launch: Launch
    rocket: Rocket
    supplier: Supplier
    spaceport: Spaceport


def add_event(session: AsyncSession, message: Message) -> OutboxEvent:
    """Queue ``message`` in ``session``'s transaction."""
    event = OutboxEvent(
        event_id=uuid.UUID(message.event_id), topic=message.topic, payload=message.payload()
    )
    session.add(event)
    return event


def launch_snapshot(parts: LaunchParts) -> LaunchSnapshot:
    """The ``launch`` of a launch event: the full snapshot at its current ``version``."""
    launch, rocket, supplier, spaceport = (
        parts.launch,
        parts.rocket,
        parts.supplier,
        parts.spaceport,
    )
    return LaunchSnapshot(
        id=str(launch.id),
        slug=launch.slug,
        destination=launch.destination,
        launch_date=launch.launch_date,
        price_per_seat=launch.price_per_seat,
        total_seats=launch.total_seats,
        seats_sold=launch.seats_sold or 0,
        status=launch.status.value,
        rocket=RocketInfo(
            id=str(rocket.id), name=rocket.name, capacity=rocket.capacity, range=rocket.range.value
        ),
        supplier=SupplierInfo(id=str(supplier.id), name=supplier.name),
        spaceport=SpaceportInfo(
            id=str(spaceport.id),
            code=spaceport.code,
            name=spaceport.name,
            location=spaceport.location,
        ),
        version=launch.version,
    )


def supplier_contact(supplier: Supplier) -> SupplierContact:
    """Who to tell at a supplier: its contact email and the login acting for it (if any)."""
    return SupplierContact(
        id=str(supplier.id),
        name=supplier.name,
        contact_email=supplier.contact_email,
        user_id=None if supplier.user_id is None else str(supplier.user_id),
    )


def launch_summary(launch: Launch) -> LaunchSummary:
    """What a message about a launch names: where, when (the current date) and its status."""
    return LaunchSummary(
        id=str(launch.id),
        slug=launch.slug,
        destination=launch.destination,
        launch_date=launch.launch_date,
        status=launch.status.value,
    )


def _customer(booking: Booking) -> Person:
    return Person(id=booking.customer_id, email=booking.customer_email)


@dataclass(frozen=True, slots=True)
class LaunchChange:
    """What a ``launch.updated`` changed, for the people to tell about it."""

    action: str  # confirm, delay, abort, succeed, fail, edit
    from_status: str | None
    reason: str | None
    previous_launch_date: datetime
    # Customers with an active booking (told about a delay or an abort), one entry each.
    active_customers: tuple[tuple[str, str], ...] = ()

    def info(self) -> ChangeInfo:
        return ChangeInfo.model_validate(
            {
                "action": self.action,
                "from_status": self.from_status,
                "reason": self.reason,
                "previous_launch_date": self.previous_launch_date,
            }
        )


def add_launch_event(
    session: AsyncSession, topic: str, parts: LaunchParts, change: LaunchChange | None = None
) -> OutboxEvent:
    """Queue ``launch.scheduled``/``launch.updated`` for the launch (flush first: ``version``).

    Besides the catalog snapshot (``launch``) it carries the supplier's contact and, for a
    lifecycle change or an edit, ``change`` and the ``active_customers`` to tell.
    """
    launch, contact = launch_snapshot(parts), supplier_contact(parts.supplier)
    if topic == LAUNCH_SCHEDULED:
        return add_event(
            session,
            LaunchScheduled(event_id=new_event_id(), launch=launch, supplier_contact=contact),
        )
    if topic != LAUNCH_UPDATED:
        raise ValueError(f"{topic} is not a launch event")
    return add_event(
        session,
        LaunchUpdated(
            event_id=new_event_id(),
            launch=launch,
            supplier_contact=contact,
            change=None if change is None else change.info(),
            active_customers=()
            if change is None
            else tuple(
                Person(id=customer_id, email=email)
                for customer_id, email in change.active_customers
            ),
        ),
    )


def add_booking_confirmed(
    session: AsyncSession, booking: Booking, launch: Launch, supplier: Supplier
) -> OutboxEvent:
    """``booking.confirmed``: the ledger took the booking."""
    return add_event(
        session,
        BookingConfirmed(
            event_id=new_event_id(),
            booking_id=str(booking.id),
            launch_id=str(booking.launch_id),
            seats=booking.seats,
            total=booking.total,
            customer=_customer(booking),
            launch=launch_summary(launch),
            supplier=supplier_contact(supplier),
        ),
    )


def add_booking_rejected(session: AsyncSession, booking: Booking, launch: Launch) -> OutboxEvent:
    """``booking.rejected``: the ledger refused the booking; its seats go back in the catalog."""
    return add_event(
        session,
        BookingRejected(
            event_id=new_event_id(),
            booking_id=str(booking.id),
            launch_id=str(booking.launch_id),
            seats=booking.seats,
            reason=booking.reason or "",
            customer=_customer(booking),
            launch=launch_summary(launch),
        ),
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
        BookingCancelled(
            event_id=new_event_id(),
            booking_id=str(booking.id),
            launch_id=str(booking.launch_id),
            seats=booking.seats,
            seats_released=seats_released,
            refund_percent=refund_percent,
            refund_amount=refund_amount,
            cancelled_by=cancelled_by,
            customer=_customer(booking),
            launch=launch_summary(launch),
            supplier=supplier_contact(supplier),
        ),
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
        ViabilityFlagged(
            event_id=new_event_id(),
            launch=ViabilityLaunch(
                **launch_summary(launch).model_dump(),
                total_seats=launch.total_seats,
                seats_sold=launch.seats_sold,
            ),
            supplier=supplier_contact(supplier),
            threshold_percent=threshold_percent,
            flagged_at=flagged_at,
        ),
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
        InvoiceIssued(
            event_id=new_event_id(),
            invoice=InvoiceInfo(
                id=str(invoice.id),
                number=invoice.number,
                kind=invoice.kind.value,
                amount=invoice.amount,
                currency=invoice.currency,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                booking_id=None if invoice.booking_id is None else str(invoice.booking_id),
            ),
            recipient=InvoiceRecipient(
                name=invoice.recipient, email=recipient_email, user_id=recipient_user_id
            ),
            launch=None if launch is None else launch_summary(launch),
        ),
    )


def add_refund_processed(
    session: AsyncSession, refund: Refund, booking: Booking, launch: Launch
) -> OutboxEvent:
    """``refund.processed``: finance paid a refund out (COMPLETED) to the booking's customer."""
    return add_event(
        session,
        RefundProcessed(
            event_id=new_event_id(),
            refund=RefundInfo(
                id=str(refund.id),
                amount=refund.amount,
                percent=refund.percent,
                status=refund.status.value,
            ),
            booking_id=str(booking.id),
            customer=_customer(booking),
            launch=launch_summary(launch),
        ),
    )


def launch_payload(parts: LaunchParts) -> dict[str, object]:
    """The ``launch`` object of a launch event, as JSON."""
    return launch_snapshot(parts).model_dump(mode="json")
