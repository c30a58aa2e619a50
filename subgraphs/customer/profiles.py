"""Customer profiles and VIP status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from astro.errors import BadUserInput
from astro.identity import Identity
from astro.settings import Settings
from subgraphs.customer.store import (
    ACTIVE_BOOKING_STATUSES,
    BookingDoc,
    CatalogStatus,
    CustomerDoc,
    LaunchDoc,
)

_TEXT_LIMIT = 300


@dataclass(frozen=True, slots=True)
class VipStatus:
    earlier_trips: int
    vip: bool
    max_seats_per_launch: int


async def earlier_trips(customer_id: str, now: datetime) -> int:
    """Trips already flown: active bookings on launches dated before ``now`` that were not
    aborted or failed (the catalog's current date wins over the date at booking time)."""
    return (await _earlier_trips_of({customer_id}, now))[customer_id]


async def _earlier_trips_of(customer_ids: set[str], now: datetime) -> dict[str, int]:
    bookings = await BookingDoc.find(
        {
            "customer_id": {"$in": list(customer_ids)},
            "status": {"$in": list(ACTIVE_BOOKING_STATUSES)},
        }
    ).to_list()
    flown: dict[str, set[str]] = {customer_id: set() for customer_id in customer_ids}
    if not bookings:
        return dict.fromkeys(customer_ids, 0)  # most bookers: no second query
    launch_ids = list({booking.launch_id for booking in bookings})
    launches = {
        launch.id: launch for launch in await LaunchDoc.find({"_id": {"$in": launch_ids}}).to_list()
    }
    for booking in bookings:
        launch = launches.get(booking.launch_id)
        date = launch.launch_date if launch is not None else booking.launch_date
        if launch is not None and launch.status in (CatalogStatus.ABORTED, CatalogStatus.FAILED):
            continue
        if date < now:
            flown[booking.customer_id].add(booking.launch_id)
    return {customer_id: len(launches_flown) for customer_id, launches_flown in flown.items()}


def _status(settings: Settings, trips: int) -> VipStatus:
    vip = trips >= settings.vip_min_trips
    cap = settings.max_seats_per_vip if vip else settings.max_seats_per_customer
    return VipStatus(earlier_trips=trips, vip=vip, max_seats_per_launch=cap)


async def vip_status(
    settings: Settings, customer_id: str, now: datetime | None = None
) -> VipStatus:
    """Whether the customer is a VIP (``vip_min_trips`` earlier trips) and their seat cap."""
    return _status(settings, await earlier_trips(customer_id, now or datetime.now(UTC)))


async def vip_statuses(
    settings: Settings, customer_ids: set[str], now: datetime
) -> dict[str, VipStatus]:
    """:func:`vip_status` of several customers, in one or two queries."""
    trips = await _earlier_trips_of(customer_ids, now)
    return {customer_id: _status(settings, count) for customer_id, count in trips.items()}


async def profile_of(identity: Identity) -> CustomerDoc:
    """The caller's profile; an empty one (not stored) before the first update."""
    found = await CustomerDoc.get(identity.sub)
    return found if found is not None else CustomerDoc(id=identity.sub, email=identity.email)


def _clean(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > _TEXT_LIMIT:
        raise BadUserInput(f"`{field}` is at most {_TEXT_LIMIT} characters.", field=field)
    return value or None


async def update_profile(identity: Identity, changes: dict[str, str | None]) -> CustomerDoc:
    """Set the given profile fields (a ``None`` value clears one); creates the profile."""
    cleaned = {field: _clean(field, value) for field, value in changes.items()}
    email = cleaned.pop("email", None)
    if email is not None and "@" not in email:
        raise BadUserInput("`email` must be an email address.", field="email")
    update: dict[str, dict[str, object]] = {"$set": {**cleaned, "updated_at": datetime.now(UTC)}}
    if email is not None:
        update["$set"]["email"] = email
    else:
        update["$setOnInsert"] = {"email": identity.email}
    await CustomerDoc.get_pymongo_collection().update_one(
        {"_id": identity.sub}, update, upsert=True
    )
    return await profile_of(identity)
