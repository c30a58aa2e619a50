"""Seed data of the customer subgraph (dev mode; idempotent).

Launches reach the catalog only through the sync from the admin subgraph's seed. Here: the
indexes, the demo customers' profiles and the VIP's two earlier trips (CONFIRMED bookings on the
past launches the admin seed creates as SUCCESSFUL, with the same ids as its ledger bookings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bson import Decimal128
from pymongo.asynchronous.database import AsyncDatabase

from astro.demo import demo_id
from astro.settings import Settings
from subgraphs.customer.store import MongoDoc, create_client, ensure_indexes

VIP_EMAIL = "vip@astrobookings.dev"
CUSTOMER_EMAIL = "customer@astrobookings.dev"


@dataclass(frozen=True, slots=True)
class _PastTrip:
    key: str
    launch_key: str
    destination: str
    days_ago: int
    price: str


PAST_TRIPS = [
    _PastTrip("vip-past-1", "past-1", "Low Earth Orbit", 400, "450000.00"),
    _PastTrip("vip-past-2", "past-2", "Suborbital Edge", 200, "95000.00"),
]

PROFILES: list[dict[str, Any]] = [
    {
        "_id": demo_id(CUSTOMER_EMAIL),
        "email": CUSTOMER_EMAIL,
        "full_name": "Casey Customer",
        "phone": "+1 555 0100",
        "tax_id": "US-12-3456789",
        "legal_address": "10 Market Street, San Francisco, CA 94105, USA",
    },
    {
        "_id": demo_id(VIP_EMAIL),
        "email": VIP_EMAIL,
        "full_name": "Vera Important",
        "phone": "+44 20 7946 0000",
        "tax_id": "GB-123456789",
        "legal_address": "1 Canada Square, London E14 5AB, United Kingdom",
    },
]


def _past_booking(trip: _PastTrip, now: datetime) -> MongoDoc:
    launch_date = (now - timedelta(days=trip.days_ago)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    created = launch_date - timedelta(days=500)
    return {
        "_id": demo_id(f"booking:{trip.key}"),
        "customer_id": demo_id(VIP_EMAIL),
        "customer_email": VIP_EMAIL,
        "launch_id": demo_id(f"launch:{trip.launch_key}"),
        "launch_slug": trip.launch_key,
        "launch_destination": trip.destination,
        "launch_date": launch_date,
        "seats": 1,
        "unit_price": Decimal128(trip.price),
        "total": Decimal128(Decimal(trip.price)),
        "passengers": [
            {
                "name": "Vera Important",
                "date_of_birth": datetime.combine(date(1975, 3, 14), datetime.min.time()),
                "email": VIP_EMAIL,
            }
        ],
        "status": "CONFIRMED",
        "created_at": created,
        "updated_at": created,
        "confirmed_at": created,
        "cancelled_at": None,
        "cancelled_by": None,
        "refund_percent": None,
        "refund_amount": None,
        "seats_released": False,
        "rejection_reason": None,
    }


async def seed_documents(database: AsyncDatabase[MongoDoc], now: datetime) -> int:
    """Insert the demo documents that are missing; returns how many were inserted."""
    inserted = 0
    for profile in PROFILES:
        result = await database["customers"].update_one(
            {"_id": profile["_id"]},
            {"$setOnInsert": profile | {"updated_at": now}},
            upsert=True,
        )
        inserted += result.upserted_id is not None
    for trip in PAST_TRIPS:
        booking = _past_booking(trip, now)
        result = await database["bookings"].update_one(
            {"_id": booking["_id"]}, {"$setOnInsert": booking}, upsert=True
        )
        inserted += result.upserted_id is not None
    return inserted


async def seed(settings: Settings) -> None:
    """Prepare the customer database and its demo documents (idempotent)."""
    client = create_client(settings)
    try:
        database = client[settings.customer_db]
        await ensure_indexes(database)
        await seed_documents(database, datetime.now(UTC))
    finally:
        await client.close()
