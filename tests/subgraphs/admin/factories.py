"""Ledger rows and customer events for tests, written straight to PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from subgraphs.admin.resolvers import insert_launch
from subgraphs.admin.store import Database, Launch, LaunchStatus, Spaceport, Supplier
from tests.subgraphs.admin.conftest import SupplierAccount


async def make_launch(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    *,
    launch_date: datetime | None = None,
    seats: int = 6,
    price: str = "1000.00",
    status: LaunchStatus = LaunchStatus.SCHEDULED,
) -> Launch:
    """A launch of ``account`` inserted directly (any date, any status: no scheduling rules)."""
    when = launch_date or datetime.now(UTC) + timedelta(days=400)
    async with db.sessions.begin() as session:
        supplier = await session.get(Supplier, account.supplier.id)
        assert supplier is not None
        parts = await insert_launch(
            session,
            supplier=supplier,
            rocket=account.rocket,
            spaceport=spaceport,
            destination=f"Test {uuid.uuid4().hex[:8]}",
            launch_date=when,
            price_per_seat=Decimal(price),
            seats=seats,
            by_user=None,
        )
        if status is not LaunchStatus.SCHEDULED:
            parts.launch.status = status
    return parts.launch


def booking_event(
    launch: Launch,
    *,
    seats: int = 1,
    customer_id: str | None = None,
    booking_id: str | None = None,
    price: Decimal | None = None,
) -> dict[str, Any]:
    """A ``booking.requested`` event as the customer store's outbox sends it."""
    unit = price if price is not None else launch.price_per_seat
    customer = customer_id or str(uuid.uuid4())
    return {
        "event_id": str(uuid.uuid4()),
        "topic": "booking.requested",
        "booking": {
            "id": booking_id or str(uuid.uuid4()),
            "launch_id": str(launch.id),
            "customer_id": customer,
            "customer_email": f"{customer[:8]}@customers.example",
            "seats": seats,
            "unit_price": str(unit),
            "total": str(unit * seats),
            "passengers": [
                {"name": f"Passenger {n}", "date_of_birth": "1990-05-17", "email": None}
                for n in range(seats)
            ],
            "created_at": datetime.now(UTC).isoformat(),
        },
    }


def cancel_event(booking: dict[str, Any], requested_at: datetime | None = None) -> dict[str, Any]:
    """A ``booking.cancel_requested`` event for the booking of ``booking_event``."""
    return {
        "event_id": str(uuid.uuid4()),
        "topic": "booking.cancel_requested",
        "booking_id": booking["booking"]["id"],
        "customer_id": booking["booking"]["customer_id"],
        "requested_at": (requested_at or datetime.now(UTC)).isoformat(),
    }


def expected_launch(launch: Launch, status: str = "SCHEDULED") -> dict[str, Any]:
    """The ``launch`` summary a booking event carries for ``launch``."""
    return {
        "id": str(launch.id),
        "slug": launch.slug,
        "destination": launch.destination,
        "launch_date": launch.launch_date.astimezone(UTC).isoformat(),
        "status": status,
    }


def expected_supplier(account: SupplierAccount) -> dict[str, Any]:
    """The supplier contact events carry for ``account``."""
    supplier = account.supplier
    return {
        "id": str(supplier.id),
        "name": supplier.name,
        "contact_email": supplier.contact_email,
        "user_id": str(supplier.user_id),
    }


def expected_customer(booking: dict[str, Any]) -> dict[str, Any]:
    """The ``customer`` a booking event carries for the booking of ``booking_event``."""
    return {
        "id": booking["booking"]["customer_id"],
        "email": booking["booking"]["customer_email"],
    }
