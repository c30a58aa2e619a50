"""Cancelling a booking: the refund quote, then one transaction that cancels, gives the seats
back when the tier releases them and writes the ``booking.cancel_requested`` outbox entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from bson import Decimal128
from pymongo.asynchronous.client_session import AsyncClientSession

from astro.contracts.bookings import CancelRequested
from astro.contracts.jobs import RECORD_CANCELLATION
from astro.contracts.message import new_event_id
from astro.errors import Conflict, NotFound
from astro.identity import Identity
from astro.refunds import refund_amount, refund_percent, seats_released
from subgraphs.customer.store import (
    ACTIVE_BOOKING_STATUSES,
    BookingDoc,
    BookingStatus,
    CatalogStatus,
    LaunchDoc,
    OutboxEntry,
    SeatHold,
    mongo_client,
    seat_hold_id,
)

CANCEL_REQUESTED = CancelRequested.TOPIC


@dataclass(frozen=True, slots=True)
class RefundQuote:
    booking_id: str
    launch_date: datetime
    percent: int
    amount: Decimal
    seats_released: bool


async def own_booking(identity: Identity, booking_id: str) -> BookingDoc:
    """The caller's booking ``booking_id``; ``NotFound`` for another customer's too."""
    booking = await BookingDoc.get(booking_id)
    if booking is None or booking.customer_id != identity.sub:
        raise NotFound(f"You have no booking {booking_id}.", field="bookingId")
    return booking


def _check_cancellable(booking: BookingDoc, launch: LaunchDoc | None, now: datetime) -> None:
    if booking.status == BookingStatus.CANCELLED:
        raise Conflict("This booking is already cancelled.", status=booking.status.value)
    if booking.status == BookingStatus.REJECTED:
        raise Conflict(
            "This booking was rejected, so there is nothing to cancel.",
            status=booking.status.value,
        )
    launch_date = launch.launch_date if launch is not None else booking.launch_date
    if launch_date <= now or (
        launch is not None and launch.status in (CatalogStatus.SUCCESSFUL, CatalogStatus.FAILED)
    ):
        raise Conflict("The launch has already taken place: the booking cannot be cancelled.")


def _quote(booking: BookingDoc, launch: LaunchDoc | None, now: datetime) -> RefundQuote:
    launch_date = launch.launch_date if launch is not None else booking.launch_date
    aborted = launch is not None and launch.status == CatalogStatus.ABORTED
    percent = refund_percent(launch_date, now, aborted=aborted)
    return RefundQuote(
        booking_id=booking.id,
        launch_date=launch_date,
        percent=percent,
        amount=refund_amount(booking.total, percent),
        seats_released=seats_released(percent),
    )


async def refund_quote(
    identity: Identity, booking_id: str, now: datetime | None = None
) -> RefundQuote:
    """What cancelling the caller's booking now refunds, against the launch's current date."""
    now = now or datetime.now(UTC)
    booking = await own_booking(identity, booking_id)
    launch = await LaunchDoc.get(booking.launch_id)
    _check_cancellable(booking, launch, now)
    return _quote(booking, launch, now)


async def cancel_booking(
    identity: Identity, booking_id: str, now: datetime | None = None
) -> BookingDoc:
    """Cancel the caller's booking with the refund of its tier now."""
    now = now or datetime.now(UTC)
    await own_booking(identity, booking_id)
    async with mongo_client().start_session() as session:
        cancelled: BookingDoc = await session.with_transaction(
            partial(_cancel_in_transaction, booking_id, now)
        )
    return cancelled


async def _cancel_in_transaction(
    booking_id: str, now: datetime, session: AsyncClientSession
) -> BookingDoc:
    booking = await BookingDoc.find_one({"_id": booking_id}, session=session)
    assert booking is not None  # bookings are never deleted
    launch = await LaunchDoc.find_one({"_id": booking.launch_id}, session=session)
    _check_cancellable(booking, launch, now)
    quote = _quote(booking, launch, now)
    changes: dict[str, Any] = {
        "status": BookingStatus.CANCELLED.value,
        "cancelled_at": now,
        "cancelled_by": "customer",
        "refund_percent": quote.percent,
        "refund_amount": quote.amount,
        "seats_released": booking.seats_released or quote.seats_released,
        "updated_at": now,
    }
    updated = await BookingDoc.get_pymongo_collection().update_one(
        {
            "_id": booking.id,
            "status": {"$in": [status.value for status in ACTIVE_BOOKING_STATUSES]},
        },
        {"$set": changes | {"refund_amount": Decimal128(quote.amount)}},
        session=session,
    )
    if updated.modified_count != 1:
        raise Conflict("This booking is already cancelled.")
    await release_hold(booking, session)
    if quote.seats_released and not booking.seats_released:
        await give_seats_back(booking, session)
    request = CancelRequested(
        event_id=new_event_id(),
        booking_id=booking.id,
        customer_id=booking.customer_id,
        requested_at=now,
    )
    await OutboxEntry(
        id=request.event_id,
        topic=request.topic,
        job=RECORD_CANCELLATION,
        booking_id=booking.id,
        payload=request.payload(),
        created_at=now,
    ).insert(session=session)
    cancelled: BookingDoc = booking.model_copy(update=changes | {"status": BookingStatus.CANCELLED})
    return cancelled


async def release_hold(booking: BookingDoc, session: AsyncClientSession) -> None:
    """The booking's seats no longer count towards its customer's cap on the launch."""
    await SeatHold.get_pymongo_collection().update_one(
        {"_id": seat_hold_id(booking.customer_id, booking.launch_id)},
        {"$inc": {"seats": -booking.seats}},
        session=session,
    )


async def give_seats_back(booking: BookingDoc, session: AsyncClientSession) -> None:
    """Return the booking's seats to the catalog (the caller marks ``seats_released``)."""
    await LaunchDoc.get_pymongo_collection().update_one(
        {"_id": booking.launch_id}, {"$inc": {"seats_left": booking.seats}}, session=session
    )
