"""The booking ledger of record: bookings requested in the customer store, and cancellations.

Each write runs in one transaction holding the launch's row lock (``SELECT … FOR UPDATE``), so
seat counts never race and a booking is never sold beyond ``total_seats``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from astro.contracts.bookings import BookingRequested, CancelRequested, RequestedBooking
from astro.refunds import refund_amount, refund_percent, seats_released
from subgraphs.admin.events import (
    CancelledBy,
    add_booking_cancelled,
    add_booking_confirmed,
    add_booking_rejected,
)
from subgraphs.admin.invoices import issue_booking_invoice
from subgraphs.admin.store import (
    TERMINAL_STATUSES,
    Booking,
    BookingStatus,
    Database,
    Launch,
    MoneyStatus,
    Passenger,
    Refund,
    Supplier,
)

log = logging.getLogger(__name__)

Outcome = Literal["confirmed", "rejected", "cancelled", "duplicate", "ignored"]


class BookingNotYetRecorded(Exception):
    """A cancellation arrived before the booking it cancels; retry it later."""


async def lock_launch(session: AsyncSession, launch_id: uuid.UUID) -> Launch | None:
    """The launch, row-locked until the transaction ends (fresh from the database)."""
    return await session.scalar(
        sa.select(Launch)
        .where(Launch.id == launch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def supplier_of_launch(session: AsyncSession, launch: Launch) -> Supplier:
    """The launch's supplier (from the session's identity map when already loaded)."""
    supplier = await session.get(Supplier, launch.supplier_id)
    assert supplier is not None  # foreign key
    return supplier


def rejection_reason(launch: Launch, booking: RequestedBooking, now: datetime) -> str | None:
    """Why the ledger cannot take ``booking`` on ``launch`` right now, if it cannot."""
    if launch.status in TERMINAL_STATUSES:
        return f"The launch is {launch.status.value} and takes no more bookings."
    if launch.launch_date <= now:
        return "The launch date has passed."
    left = launch.total_seats - launch.seats_sold
    if left < booking.seats:
        return f"Only {left} seat(s) left; {booking.seats} requested."
    if len(booking.passengers) != booking.seats:
        return f"{booking.seats} seat(s) need {booking.seats} passenger(s); got {len(booking.passengers)}."
    if booking.total != booking.unit_price * booking.seats:
        return "The total is not seats × unit price."
    return None


async def record_booking(db: Database, event: dict[str, object]) -> Outcome:
    """Record a ``booking.requested`` event: CONFIRMED (seats taken) or REJECTED with a reason.

    Idempotent by booking id: a booking already in the ledger is left as it is and nothing is
    re-emitted.
    """
    parsed = BookingRequested.model_validate(event).booking
    async with db.sessions.begin() as session:
        launch = await lock_launch(session, parsed.launch_id)
        if launch is None:
            raise LookupError(
                f"booking {parsed.id}: launch {parsed.launch_id} is not in the ledger"
            )
        if await session.get(Booking, parsed.id) is not None:
            return "duplicate"
        reason = rejection_reason(launch, parsed, datetime.now(UTC))
        booking = Booking(
            id=parsed.id,
            launch_id=launch.id,
            customer_id=parsed.customer_id,
            customer_email=parsed.customer_email,
            seats=parsed.seats,
            unit_price=parsed.unit_price,
            total=parsed.total,
            status=BookingStatus.REJECTED if reason else BookingStatus.CONFIRMED,
            reason=reason,
            created_at=parsed.created_at,
        )
        session.add(booking)
        await session.flush()
        if reason:
            add_booking_rejected(session, booking, launch)
            log.info("booking %s rejected: %s", booking.id, reason)
            return "rejected"
        session.add_all(
            Passenger(
                booking_id=booking.id,
                position=position,
                name=passenger.name,
                date_of_birth=passenger.date_of_birth,
                email=passenger.email,
            )
            for position, passenger in enumerate(parsed.passengers, start=1)
        )
        await change_seats_sold(session, launch, booking.seats)
        await issue_booking_invoice(session, booking, launch)
        add_booking_confirmed(session, booking, launch, await supplier_of_launch(session, launch))
    return "confirmed"


async def change_seats_sold(session: AsyncSession, launch: Launch, delta: int) -> None:
    """Move the launch's sold seats by ``delta`` (the caller holds the launch's row lock).

    A plain UPDATE, not the ORM's versioned one: selling seats is not a new catalog snapshot.
    """
    launch.seats_sold = (
        await session.execute(
            sa.update(Launch)
            .where(Launch.id == launch.id)
            .values(seats_sold=Launch.seats_sold + delta)
            .returning(Launch.seats_sold)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one()
    # The returned value is what the row holds: nothing left for the ORM to flush.
    set_committed_value(launch, "seats_sold", launch.seats_sold)


async def cancel_locked(
    session: AsyncSession,
    launch: Launch,
    booking: Booking,
    *,
    at: datetime,
    cancelled_by: CancelledBy,
) -> Refund | None:
    """Cancel a CONFIRMED booking of the row-locked ``launch``: refund, seats, outbox event.

    The refund follows :mod:`astro.refunds` against the launch's current date (100 % when the
    launch is aborted); seats go back on sale only when something is refunded.
    """
    percent = refund_percent(launch.launch_date, at, aborted=cancelled_by == "abort")
    amount = refund_amount(booking.total, percent)
    released = seats_released(percent)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = at
    booking.cancelled_by = cancelled_by
    booking.refund_percent = percent
    refund = None
    if amount > 0:
        refund = Refund(
            booking_id=booking.id,
            amount=amount,
            percent=percent,
            status=MoneyStatus.PENDING,
            reason=f"cancelled by {cancelled_by}",
        )
        session.add(refund)
    await session.flush()
    if released:
        await change_seats_sold(session, launch, -booking.seats)
    add_booking_cancelled(
        session,
        booking,
        launch,
        await supplier_of_launch(session, launch),
        seats_released=released,
        refund_percent=percent,
        refund_amount=amount,
        cancelled_by=cancelled_by,
    )
    return refund


async def record_cancellation(db: Database, event: dict[str, object]) -> Outcome:
    """Record a customer's ``booking.cancel_requested`` event (idempotent).

    Raises :class:`BookingNotYetRecorded` when the booking has not reached the ledger yet.
    """
    parsed = CancelRequested.model_validate(event)
    async with db.sessions.begin() as session:
        launch_id = await session.scalar(
            sa.select(Booking.launch_id).where(Booking.id == parsed.booking_id)
        )
        if launch_id is None:
            raise BookingNotYetRecorded(str(parsed.booking_id))
        launch = await lock_launch(session, launch_id)
        assert launch is not None  # the booking's foreign key
        booking = await session.scalar(
            sa.select(Booking)
            .where(Booking.id == parsed.booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert booking is not None
        if booking.customer_id != parsed.customer_id:
            log.warning(
                "cancellation %s of booking %s by customer %s, not its owner: ignored",
                parsed.event_id,
                booking.id,
                parsed.customer_id,
            )
            return "ignored"
        if booking.status is not BookingStatus.CONFIRMED:
            return "duplicate"
        await cancel_locked(
            session,
            launch,
            booking,
            at=parsed.requested_at.astimezone(UTC),
            cancelled_by="customer",
        )
    return "cancelled"
