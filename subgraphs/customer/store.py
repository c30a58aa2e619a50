"""The customer subgraph's MongoDB store: the launch catalog read model and its sync bookkeeping.

Beanie binds document classes per process, so a process calls :func:`init_store` once (the app's
lifespan, the worker's startup) and every query here runs on that binding.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, Literal

from beanie import Document, SortDirection, init_beanie
from beanie.odm.custom_types.decimal import DecimalAnnotation
from beanie.odm.utils.encoder import Encoder
from pydantic import BaseModel, Field
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from astro.settings import Settings

MongoDoc = dict[str, Any]
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


DOCUMENT_MODELS: list[type[Document]] = [LaunchDoc, AppliedEvent]


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
    """Create the catalog's indexes in ``database`` (idempotent, leaves Beanie's binding alone)."""
    await database[LaunchDoc.Settings.name].create_indexes(LAUNCH_INDEXES)


# --- queries -----------------------------------------------------------------------------------


async def upcoming_launches(
    *,
    now: datetime,
    destination: str | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[LaunchDoc]:
    """Bookable launches after ``now`` with free seats, by date then id, after the ``after`` key."""
    query: MongoDoc = {
        "launch_date": {"$gt": now},
        "status": {"$in": [status.value for status in BOOKABLE_STATUSES]},
        "seats_left": {"$gt": 0},
    }
    if destination is not None:
        query["destination"] = destination
    if after is not None:
        after_date, after_id = after
        query["$or"] = [
            {"launch_date": {"$gt": after_date}},
            {"launch_date": after_date, "_id": {"$gt": after_id}},
        ]
    return (
        await LaunchDoc.find(query)
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
    only by the change in total seats: the seats taken in this store stay taken.
    """
    try:
        return await _apply_in_transaction(event_id, topic, incoming)
    except DuplicateKeyError:
        # A concurrent apply of the same event or launch committed first; a second pass sees it.
        return await _apply_in_transaction(event_id, topic, incoming)


async def _apply_in_transaction(event_id: str, topic: str, incoming: LaunchDoc) -> ApplyOutcome:
    client = LaunchDoc.get_pymongo_collection().database.client
    async with client.start_session() as session:
        outcome: ApplyOutcome = await session.with_transaction(
            partial(_apply, event_id, topic, incoming)
        )
        return outcome


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
