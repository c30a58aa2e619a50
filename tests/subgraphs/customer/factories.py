"""Admin outbox events, shaped as the admin subgraph publishes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def launch_event(
    *,
    launch_id: str | None = None,
    version: int = 1,
    topic: str = "launch.scheduled",
    days_ahead: float = 400,
    **launch: Any,
) -> dict[str, Any]:
    """An admin outbox event for a launch, as the admin subgraph publishes it."""
    launch_id = launch_id or str(uuid.uuid4())
    payload: dict[str, Any] = {
        "id": launch_id,
        "slug": f"launch-{launch_id[:8]}",
        "destination": "Mars",
        "launch_date": (datetime.now(UTC) + timedelta(days=days_ahead)).isoformat(),
        "price_per_seat": "1250000.50",
        "total_seats": 10,
        "seats_sold": 0,
        "status": "SCHEDULED",
        "rocket": {"id": str(uuid.uuid4()), "name": "Ares V", "capacity": 12, "range": "mars"},
        "supplier": {"id": str(uuid.uuid4()), "name": "Orbital Horizons"},
        "spaceport": {
            "id": str(uuid.uuid4()),
            "code": "KSC",
            "name": "Kennedy Space Center",
            "location": "Florida, USA",
        },
        "version": version,
    }
    payload.update(launch)
    return {
        "event_id": str(uuid.uuid4()),
        "topic": topic,
        "launch": payload,
        "supplier_contact": _supplier_contact(payload["supplier"]),
    }


def _supplier_contact(supplier: dict[str, Any]) -> dict[str, Any]:
    return {**supplier, "contact_email": "ops@suppliers.example", "user_id": None}


def ledger_answer(topic: str, booking_id: str, launch_id: str, **fields: Any) -> dict[str, Any]:
    """A ``booking.confirmed``/``rejected``/``cancelled`` event as the ledger publishes it, with
    ``fields`` over made-up defaults."""
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "topic": topic,
        "booking_id": booking_id,
        "launch_id": launch_id,
        "seats": 1,
        "customer": {"id": str(uuid.uuid4()), "email": "ada@example.com"},
        "launch": {
            "id": launch_id,
            "slug": f"launch-{launch_id[:8]}",
            "destination": "Mars",
            "launch_date": (datetime.now(UTC) + timedelta(days=400)).isoformat(),
            "status": "SCHEDULED",
        },
    }
    if topic != "booking.rejected":
        event["supplier"] = _supplier_contact({"id": str(uuid.uuid4()), "name": "Orbital"})
    if topic == "booking.confirmed":
        event["total"] = "1250000.50"
    if topic == "booking.rejected":
        event["reason"] = "The launch is full."
    if topic == "booking.cancelled":
        event |= {
            "seats_released": True,
            "refund_percent": 100,
            "refund_amount": "1250000.50",
            "cancelled_by": "customer",
        }
    return event | fields


def passenger(name: str = "Ada Lovelace", born: str = "1990-05-01") -> dict[str, Any]:
    """A passenger as ``bookSeats`` takes it."""
    return {"name": name, "dateOfBirth": born, "email": f"{name.split()[0].lower()}@example.com"}


def passengers(count: int) -> list[dict[str, Any]]:
    """``count`` adult passengers."""
    return [passenger(f"Passenger {index + 1}") for index in range(count)]
