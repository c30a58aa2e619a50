"""Messages about bookings: the customer store's requests to the ledger and the ledger's answers
(applied to the customer's bookings and turned into emails)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from astro.contracts.message import Instant, Message, Money
from astro.contracts.parts import LaunchSummary, Part, Person, SupplierContact

CancelledBy = Literal["customer", "finance", "abort"]


class RequestedPassenger(Part):
    name: str = Field(min_length=1)
    date_of_birth: date
    email: str | None = None


class RequestedBooking(Part):
    """A PENDING booking of the customer store, as the ledger records it (same id)."""

    id: uuid.UUID
    launch_id: uuid.UUID
    customer_id: str = Field(min_length=1)
    customer_email: str
    seats: int = Field(ge=1)
    unit_price: Money
    total: Money
    passengers: tuple[RequestedPassenger, ...]
    created_at: Instant


class BookingRequested(Message):
    """Customer → ledger (``record_booking``): confirm or reject this booking."""

    topic: Literal["booking.requested"] = "booking.requested"
    booking: RequestedBooking


class CancelRequested(Message):
    """Customer → ledger (``record_cancellation``): the customer cancelled their booking."""

    topic: Literal["booking.cancel_requested"] = "booking.cancel_requested"
    booking_id: uuid.UUID
    customer_id: str
    requested_at: Instant


class BookingConfirmed(Message):
    """Ledger → customer and notifications: the ledger took the booking."""

    topic: Literal["booking.confirmed"] = "booking.confirmed"
    booking_id: str
    launch_id: str
    # Since the notifications (absent from older rows): for the emails.
    seats: int | None = None
    total: Money | None = None
    customer: Person | None = None
    launch: LaunchSummary | None = None
    supplier: SupplierContact | None = None


class BookingRejected(Message):
    """Ledger → customer and notifications: the ledger refused the booking; its seats go back
    in the catalog."""

    topic: Literal["booking.rejected"] = "booking.rejected"
    booking_id: str
    launch_id: str
    seats: int
    reason: str
    # Since the notifications (absent from older rows): for the emails.
    customer: Person | None = None
    launch: LaunchSummary | None = None


class BookingCancelled(Message):
    """Ledger → customer and notifications: cancelled (by the customer, finance or an abort);
    the seats come back only when ``seats_released``."""

    topic: Literal["booking.cancelled"] = "booking.cancelled"
    booking_id: str
    launch_id: str
    seats: int
    seats_released: bool
    refund_percent: int = Field(ge=0, le=100)
    refund_amount: Money
    cancelled_by: CancelledBy
    # Since the notifications (absent from older rows): for the emails.
    customer: Person | None = None
    launch: LaunchSummary | None = None
    supplier: SupplierContact | None = None
