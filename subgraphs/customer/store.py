"""The customer subgraph's MongoDB store: the launch catalog read model, the customers' bookings
and profiles, the booking outbox and the sync bookkeeping.

Beanie binds document classes per process, so a process calls :func:`init_store` once (the app's
lifespan, the worker's startup) and every query here runs on that binding.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any, Literal, TypeVar

import pymongo
from beanie import Document, SortDirection, init_beanie
from beanie.odm.custom_types.decimal import DecimalAnnotation
from beanie.odm.utils.encoder import Encoder
from bson import Decimal128
from pydantic import BaseModel, Field
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from astro.settings import Settings

MongoDoc = dict[str, Any]
_T = TypeVar("_T")
ApplyOutcome = Literal["inserted", "updated", "stale", "duplicate"]


class CatalogStatus(StrEnum):
    """A launch's lifecycle status, as the admin subgraph reports it."""

    SCHEDULED = "SCHEDULED"
    CONFIRMED = "CONFIRMED"
    DELAYED = "DELAYED"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


BOOKABLE_STATUSES = (CatalogStatus.SCHEDULED, CatalogStatus.CONFIRMED, CatalogStatus.DELAYED)


class RocketInfo(BaseModel):
    id: str
    name: str
    capacity: int
    range: str


class SupplierInfo(BaseModel):
    id: str
    name: str


class SpaceportInfo(BaseModel):
    id: str
    code: str
    name: str
    location: str


# Declared once so that seeding can create them without binding Beanie.
LAUNCH_INDEXES = [
    IndexModel([("slug", ASCENDING)], name="slug_unique", unique=True),
    IndexModel([("launch_date", ASCENDING), ("_id", ASCENDING)], name="launch_date_id"),
    IndexModel(
        [("destination", ASCENDING), ("launch_date", ASCENDING), ("_id", ASCENDING)],
        name="destination_launch_date_id",
    ),
]


class LaunchDoc(Document):
    """One launch of the public catalog, denormalised with its rocket, supplier and spaceport."""

    id: str  # type: ignore[assignment]  # the admin's launch id, not an ObjectId
    slug: str
    destination: str
    launch_date: datetime
    price_per_seat: DecimalAnnotation
    total_seats: int
    seats_sold: int
    seats_left: int
    status: CatalogStatus
    rocket: RocketInfo
    supplier: SupplierInfo
    spaceport: SpaceportInfo
    version: int

    class Settings:
        name = "launches"
        indexes = LAUNCH_INDEXES


class AppliedEvent(Document):
    """An outbox event already applied to the catalog; its id is the event's id."""

    id: str  # type: ignore[assignment]
    topic: str
    launch_id: str
    version: int
    outcome: str
    applied_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    class Settings:
        name = "applied_events"


class BookingStatus(StrEnum):
    """Where a booking stands: PENDING until the ledger confirms or rejects it."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


ACTIVE_BOOKING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class PassengerInfo(BaseModel):
    name: str
    date_of_birth: date
    email: str


BOOKING_INDEXES = [
    IndexModel([("customer_id", ASCENDING), ("created_at", ASCENDING)], name="customer_created"),
    IndexModel([("launch_id", ASCENDING), ("status", ASCENDING)], name="launch_status"),
]


class BookingDoc(Document):
    """A customer's booking; ``seats_released`` marks seats already given back to the catalog."""

    id: str  # type: ignore[assignment]  # one id in every store
    customer_id: str
    customer_email: str
    launch_id: str
    # The launch as it was booked, for listings when the catalog no longer has it.
    launch_slug: str
    launch_destination: str
    launch_date: datetime
    seats: int
    unit_price: DecimalAnnotation
    total: DecimalAnnotation
    passengers: list[PassengerInfo]
    status: BookingStatus
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    refund_percent: int | None = None
    refund_amount: DecimalAnnotation | None = None
    seats_released: bool = False
    rejection_reason: str | None = None

    class Settings:
        name = "bookings"
        indexes = BOOKING_INDEXES


class SeatHold(Document):
    """The seats one customer holds on one launch across their active bookings (the cap's lock).

    Every booking and release of a customer on a launch writes this one document in its
    transaction, so concurrent bookings of one customer conflict instead of both passing the cap.
    """

    id: str  # type: ignore[assignment]  # f"{customer_id}:{launch_id}"
    customer_id: str
    launch_id: str
    seats: int

    class Settings:
        name = "seat_holds"


def seat_hold_id(customer_id: str, launch_id: str) -> str:
    return f"{customer_id}:{launch_id}"


OUTBOX_INDEXES = [
    IndexModel([("published_at", ASCENDING), ("created_at", ASCENDING)], name="unpublished"),
    IndexModel([("booking_id", ASCENDING)], name="booking_id"),
]


class OutboxEntry(Document):
    """An event for the ledger, written in the transaction of the change it reports.

    ``acknowledged_at`` is set when the ledger's answer arrives; an entry published long ago
    without one is published again (``attempts`` counts the publications).
    """

    id: str  # type: ignore[assignment]  # the event id
    topic: str
    job: str
    booking_id: str
    payload: dict[str, Any]
    created_at: datetime
    published_at: datetime | None = None
    acknowledged_at: datetime | None = None
    attempts: int = 0

    class Settings:
        name = "outbox"
        indexes = OUTBOX_INDEXES


class AppliedBookingEvent(Document):
    """A ledger event already applied to a booking; its id is the event's id."""

    id: str  # type: ignore[assignment]
    topic: str
    booking_id: str
    outcome: str
    applied_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    class Settings:
        name = "applied_booking_events"


class CustomerDoc(Document):
    """A customer's profile; its id is the user id (the token's ``sub``)."""

    id: str  # type: ignore[assignment]
    email: str
    full_name: str | None = None
    phone: str | None = None
    tax_id: str | None = None
    legal_address: str | None = None
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    class Settings:
        name = "customers"


DOCUMENT_MODELS: list[type[Document]] = [
    LaunchDoc,
    AppliedEvent,
    BookingDoc,
    SeatHold,
    OutboxEntry,
    AppliedBookingEvent,
    CustomerDoc,
]


def create_client(settings: Settings) -> AsyncMongoClient[MongoDoc]:
    """A MongoDB client for ``settings.mongo_url`` that returns timezone-aware datetimes."""
    if not settings.mongo_url:
        raise RuntimeError(
            "ASTRO_MONGO_URL is not set: point it at MongoDB, or run `astro dev` to embed one."
        )
    return AsyncMongoClient(settings.mongo_url, tz_aware=True)


async def bind_store(database: AsyncDatabase[MongoDoc]) -> None:
    """Bind the catalog documents to ``database`` and make sure their indexes exist."""
    await init_beanie(database=database, document_models=DOCUMENT_MODELS)


async def init_store(settings: Settings) -> AsyncMongoClient[MongoDoc]:
    """Connect to ``settings.customer_db`` and bind the documents; the caller closes the client."""
    client = create_client(settings)
    await bind_store(client[settings.customer_db])
    return client


async def ensure_indexes(database: AsyncDatabase[MongoDoc]) -> None:
    """Create the store's indexes in ``database`` (idempotent, leaves Beanie's binding alone)."""
    await database[LaunchDoc.Settings.name].create_indexes(LAUNCH_INDEXES)
    await database[BookingDoc.Settings.name].create_indexes(BOOKING_INDEXES)
    await database[OutboxEntry.Settings.name].create_indexes(OUTBOX_INDEXES)


# How long applying one event from the other store may retry its transaction (write conflicts,
# e.g. with a killed worker's transaction until it is reaped) before its job gives up, to be retried
# by arq later: well under the worker's job timeout, which arq counts as a failure, not a retry.
APPLY_WITHIN_SECONDS = 20.0


def mongo_client() -> AsyncMongoClient[MongoDoc]:
    """The client the documents are bound to (for sessions and transactions)."""
    return LaunchDoc.get_pymongo_collection().database.client


async def in_transaction(
    work: Callable[[AsyncClientSession], Awaitable[_T]], *, within: float | None = None
) -> _T:
    """``work(session)`` in a transaction, retried with backoff on transient errors (write
    conflicts), for at most ``within`` seconds when given (else pymongo's 120 s).

    Writes to documents that transactions also write go through here even when they are single
    statements: on SecantusDB a plain write to a document held by the open transaction of a
    killed process waits without end, while a transactional one conflicts, retries, and gets
    through once the orphan is reaped (after 60 s idle, like mongod's lifetime limit).

    ``within`` is one budget (pymongo's client-side operation timeout) for every statement, the
    commit and the retries: past it the transaction is aborted and
    :class:`~pymongo.errors.ExecutionTimeout` or :class:`~pymongo.errors.NetworkTimeout` (both
    ``PyMongoError``) is raised, so a job can give up and be retried later instead of running
    into its own timeout, which arq does not retry. A commit cut short may still have committed:
    the work must be idempotent.
    """
    async with mongo_client().start_session() as session:
        if within is None:
            result: _T = await session.with_transaction(work)
            return result
        with pymongo.timeout(within):
            bounded: _T = await session.with_transaction(work)
            return bounded


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogFilter:
    """What a visitor narrows the catalog to; ``None`` leaves a criterion out."""

    destination: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    range_class: str | None = None
    spaceport: str | None = None
    search: str | None = None


def _contains(text: str) -> MongoDoc:
    return {"$regex": re.escape(text), "$options": "i"}


def _filter_query(catalog_filter: CatalogFilter) -> list[MongoDoc]:
    clauses: list[MongoDoc] = []
    if catalog_filter.destination:
        clauses.append({"destination": catalog_filter.destination})
    if catalog_filter.date_from is not None:
        clauses.append({"launch_date": {"$gte": catalog_filter.date_from}})
    if catalog_filter.date_to is not None:
        clauses.append({"launch_date": {"$lte": catalog_filter.date_to}})
    if catalog_filter.min_price is not None:
        clauses.append({"price_per_seat": {"$gte": Decimal128(catalog_filter.min_price)}})
    if catalog_filter.max_price is not None:
        clauses.append({"price_per_seat": {"$lte": Decimal128(catalog_filter.max_price)}})
    if catalog_filter.range_class:
        clauses.append({"rocket.range": catalog_filter.range_class})
    if catalog_filter.spaceport:
        clauses.append(
            {
                "$or": [
                    {"spaceport.code": catalog_filter.spaceport},
                    {"spaceport.id": catalog_filter.spaceport},
                ]
            }
        )
    # No text indexes on SecantusDB: every word must appear in the destination, rocket or
    # supplier name (case-insensitive substring), over the already narrowed upcoming launches.
    for word in (catalog_filter.search or "").split():
        clauses.append(
            {
                "$or": [
                    {"destination": _contains(word)},
                    {"rocket.name": _contains(word)},
                    {"supplier.name": _contains(word)},
                ]
            }
        )
    return clauses


async def upcoming_launches(
    *,
    now: datetime,
    catalog_filter: CatalogFilter,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[LaunchDoc]:
    """Bookable launches after ``now`` with free seats matching ``catalog_filter``, by date then
    id, after the ``after`` key."""
    clauses: list[MongoDoc] = [
        {"launch_date": {"$gt": now}},
        {"status": {"$in": [status.value for status in BOOKABLE_STATUSES]}},
        {"seats_left": {"$gt": 0}},
        *_filter_query(catalog_filter),
    ]
    if after is not None:
        after_date, after_id = after
        clauses.append(
            {
                "$or": [
                    {"launch_date": {"$gt": after_date}},
                    {"launch_date": after_date, "_id": {"$gt": after_id}},
                ]
            }
        )
    return (
        await LaunchDoc.find({"$and": clauses})
        .sort([("launch_date", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)])
        .limit(limit)
        .to_list()
    )


async def launch_by_slug(slug: str) -> LaunchDoc | None:
    """The catalog entry with ``slug``, if any."""
    return await LaunchDoc.find_one({"slug": slug})


async def launches_by_ids(ids: list[str]) -> list[LaunchDoc]:
    """The catalog entries among ``ids``, in one query, in no particular order."""
    return await LaunchDoc.find({"_id": {"$in": ids}}).to_list()


# --- sync --------------------------------------------------------------------------------------


async def apply_launch_change(event_id: str, topic: str, incoming: LaunchDoc) -> ApplyOutcome:
    """Apply one admin event carrying the launch's state ``incoming`` to the catalog.

    Runs in one transaction with the event's applied-mark, so an event applies at most once
    (``duplicate``), an event older than the stored version changes nothing (``stale``), a new
    launch is inserted as given and a known one takes the new fields while its ``seats_left`` moves
    only by the change in total seats: the seats taken in this store stay taken. A transaction
    that cannot commit within :data:`APPLY_WITHIN_SECONDS` raises ``PyMongoError``.
    """
    try:
        return await _apply_in_transaction(event_id, topic, incoming)
    except DuplicateKeyError:
        # A concurrent apply of the same event or launch committed first; a second pass sees it.
        return await _apply_in_transaction(event_id, topic, incoming)


async def _apply_in_transaction(event_id: str, topic: str, incoming: LaunchDoc) -> ApplyOutcome:
    return await in_transaction(
        partial(_apply, event_id, topic, incoming), within=APPLY_WITHIN_SECONDS
    )


async def _apply(
    event_id: str, topic: str, incoming: LaunchDoc, session: AsyncClientSession
) -> ApplyOutcome:
    if await AppliedEvent.find_one({"_id": event_id}, session=session) is not None:
        return "duplicate"
    stored = await LaunchDoc.find_one({"_id": incoming.id}, session=session)
    outcome: ApplyOutcome
    if stored is None:
        await incoming.insert(session=session)
        outcome = "inserted"
    elif incoming.version <= stored.version:
        outcome = "stale"
    else:
        fields = Encoder(exclude={"_id", "seats_left", "revision_id"}, to_db=True).encode(incoming)
        result = await LaunchDoc.get_pymongo_collection().update_one(
            {"_id": stored.id, "version": stored.version},
            {
                "$set": fields,
                "$inc": {"seats_left": incoming.total_seats - stored.total_seats},
            },
            session=session,
        )
        outcome = "updated" if result.matched_count else "stale"
    await AppliedEvent(
        id=event_id,
        topic=topic,
        launch_id=incoming.id,
        version=incoming.version,
        outcome=outcome,
    ).insert(session=session)
    return outcome
