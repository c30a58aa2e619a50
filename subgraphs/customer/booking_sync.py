"""The booking sync with the ledger: the outbox relay to the admin jobs and the ledger's answers
applied to the bookings, each at most once (by event id)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from bson import Decimal128
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from astro import outbox
from astro.contracts import parse
from astro.contracts.bookings import BookingCancelled, BookingConfirmed, BookingRejected
from astro.contracts.jobs import TOPIC_JOBS, job_id
from astro.settings import Settings
from subgraphs.customer.booking import BOOKING_REQUESTED
from subgraphs.customer.cancellation import CANCEL_REQUESTED, give_seats_back, release_hold
from subgraphs.customer.group_commit import GroupCommit
from subgraphs.customer.store import (
    ACTIVE_BOOKING_STATUSES,
    APPLY_WITHIN_SECONDS,
    AppliedBookingEvent,
    BookingDoc,
    BookingStatus,
    OutboxEntry,
    in_transaction,
)

RELAY_BATCH = outbox.BATCH_SIZE
REDRIVE_AFTER = timedelta(seconds=15)
REDRIVE_MAX_DELAY = timedelta(minutes=10)
REDRIVE_BATCH = 500
# How long marking outbox entries may retry its transaction: a relay or redrive cron held up by a
# killed worker's transaction gives up (the next tick tries again) instead of piling up with
# the ticks after it and taking the worker's job slots from the ledger's answers.
MARK_WITHIN_SECONDS = 10.0


def last_job_id(entry: OutboxEntry) -> str:
    """The job id of the entry's last publication (``attempts`` counts them)."""
    return job_id(
        entry.topic,
        entry.id,
        TOPIC_JOBS[entry.topic][0],
        publication=max(entry.attempts - 1, 0),
    )


@dataclass(frozen=True, slots=True)
class _BookingClaim:
    entries: list[OutboxEntry]

    @property
    def rows(self) -> list[outbox.Outgoing]:
        return [
            outbox.Outgoing(entry.id, entry.topic, entry.payload, entry.attempts)
            for entry in self.entries
        ]

    async def mark_published(self) -> None:
        await in_transaction(
            partial(
                _update_outbox,
                {"_id": {"$in": [entry.id for entry in self.entries]}},
                {"$set": {"published_at": datetime.now(UTC)}, "$inc": {"attempts": 1}},
            ),
            within=MARK_WITHIN_SECONDS,
        )


class BookingOutbox:
    """The customer store's outbox collection as an :class:`astro.outbox.OutboxStore`.

    Nothing holds the entries while they are published: two relays side by side may both
    publish one, under the same job id (arq keeps one); the ledger is idempotent by booking id.
    """

    @asynccontextmanager
    async def claim(self, limit: int, topics: Collection[str]) -> AsyncIterator[_BookingClaim]:
        entries = (
            await OutboxEntry.find({"published_at": None, "topic": {"$in": list(topics)}})
            .sort("created_at")
            .limit(limit)
            .to_list()
        )
        yield _BookingClaim(entries)


async def relay_outbox(queue: ArqRedis, settings: Settings) -> int:
    """Enqueue the unpublished outbox entries' ledger jobs, oldest first, then mark them
    published; returns how many (:func:`astro.outbox.relay`). A relay repeated after a crash
    between enqueue and mark enqueues the same job id, which arq ignores while it remembers the
    job; after that the ledger's own idempotency (by booking id) holds."""
    return await outbox.relay(BookingOutbox(), queue, settings)


def redrive_due(entry: OutboxEntry, now: datetime, after: timedelta = REDRIVE_AFTER) -> bool:
    """Whether ``entry`` has waited long enough for an answer: ``after`` its first publication,
    then twice as long after each further one, at most :data:`REDRIVE_MAX_DELAY`."""
    if entry.published_at is None:
        return False
    published = entry.published_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published + outbox.redrive_delay(entry.attempts, after, REDRIVE_MAX_DELAY) <= now


async def redrive_unanswered(
    queue: ArqRedis, now: datetime, after: timedelta = REDRIVE_AFTER
) -> int:
    """Mark for publication again the entries the ledger has not answered in time (its job
    failed, e.g. PostgreSQL was down, or its worker died); returns how many.

    An entry whose last job is still queued or running is left alone: that job will answer,
    and publishing again under a backlog would only pile duplicates onto it.
    """
    candidates = (
        await OutboxEntry.find(
            {"acknowledged_at": None, "published_at": {"$ne": None, "$lt": now - after}}
        )
        .sort("published_at")
        .limit(REDRIVE_BATCH)
        .to_list()
    )
    due = [entry for entry in candidates if redrive_due(entry, now, after)]
    if not due:
        return 0
    pipe = queue.pipeline(transaction=False)
    for entry in due:
        pipe.exists(job_key_prefix + last_job_id(entry))
    still_queued = await pipe.execute()
    ids = [entry.id for entry, queued in zip(due, still_queued, strict=True) if not queued]
    if not ids:
        return 0
    return await in_transaction(
        partial(
            _update_outbox,
            {"_id": {"$in": ids}, "acknowledged_at": None},
            {"$set": {"published_at": None}},
        ),
        within=MARK_WITHIN_SECONDS,
    )


async def _update_outbox(
    query: dict[str, Any], update: dict[str, Any], session: AsyncClientSession
) -> int:
    result = await OutboxEntry.get_pymongo_collection().update_many(query, update, session=session)
    return result.modified_count


BookingOutcome = Literal[
    "confirmed", "rejected", "cancelled", "unchanged", "unknown_booking", "duplicate"
]


async def apply_booking_change(
    raw: dict[str, Any], *, within: float = APPLY_WITHIN_SECONDS
) -> tuple[BookingOutcome, str | None]:
    """Apply one ledger event to its booking; the outcome and the booking's launch when seats
    came back. A malformed event raises ``pydantic.ValidationError``; a transaction that cannot
    commit ``within`` seconds (say a killed worker's transaction still holds the booking)
    raises ``PyMongoError``, and applying the event again later is safe."""
    event = parse(raw, BookingConfirmed, BookingRejected, BookingCancelled)
    assert isinstance(event, BookingConfirmed | BookingRejected | BookingCancelled)
    if isinstance(event, BookingConfirmed):
        return await _confirmations.submit(within, event), None
    return await _apply_alone(event, within)


async def _apply_alone(
    event: BookingRejected | BookingCancelled, within: float
) -> tuple[BookingOutcome, str | None]:
    try:
        return await in_transaction(partial(_apply, event), within=within)
    except DuplicateKeyError:
        return "duplicate", None  # a concurrent delivery of the same event committed first


async def _commit_confirmations(
    within: float, events: list[BookingConfirmed]
) -> list[BookingOutcome | Exception]:
    """Confirmations applied together, one transaction for all those waiting (a
    :class:`GroupCommit`): they are most of the ledger's answers, and under a rush every worker
    slot holds one. Outcomes are the same as alone, event by event."""
    try:
        confirmed: list[BookingOutcome | Exception] = list(
            await in_transaction(partial(_confirm_all, events), within=within)
        )
        return confirmed
    except DuplicateKeyError:
        if len(events) == 1:
            return ["duplicate"]  # a concurrent delivery of the same event committed first
    # One of them was committed by a concurrent delivery: each on its own.
    return [(await _commit_confirmations(within, [event]))[0] for event in events]


_confirmations: GroupCommit[float, BookingConfirmed, BookingOutcome] = GroupCommit(
    _commit_confirmations
)


async def _confirm_all(
    events: list[BookingConfirmed], session: AsyncClientSession
) -> list[BookingOutcome]:
    applied_events = AppliedBookingEvent.get_pymongo_collection()
    bookings = BookingDoc.get_pymongo_collection()
    already = {
        doc["_id"]
        for doc in await applied_events.find(
            {"_id": {"$in": list({event.event_id for event in events})}},
            {"_id": 1},
            session=session,
        ).to_list()
    }
    status = {
        doc["_id"]: doc["status"]
        for doc in await bookings.find(
            {"_id": {"$in": list({event.booking_id for event in events})}},
            {"status": 1},
            session=session,
        ).to_list()
    }
    now = datetime.now(UTC)
    outcomes: list[BookingOutcome] = []
    confirmed: set[str] = set()
    records: list[dict[str, Any]] = []
    for event in events:
        if event.event_id in already:
            outcomes.append("duplicate")
            continue
        already.add(event.event_id)
        outcome: BookingOutcome
        if event.booking_id not in status:
            outcome = "unknown_booking"
        elif status[event.booking_id] == BookingStatus.PENDING.value:
            outcome = "confirmed"
            confirmed.add(event.booking_id)
            status[event.booking_id] = BookingStatus.CONFIRMED.value
        else:
            outcome = "unchanged"
        outcomes.append(outcome)
        records.append(
            {
                "_id": event.event_id,
                "topic": event.topic,
                "booking_id": event.booking_id,
                "outcome": outcome,
                "applied_at": now,
            }
        )
    if confirmed:
        await bookings.update_many(
            {"_id": {"$in": list(confirmed)}, "status": BookingStatus.PENDING.value},
            {
                "$set": {
                    "status": BookingStatus.CONFIRMED.value,
                    "confirmed_at": now,
                    "updated_at": now,
                }
            },
            session=session,
        )
    if records:
        # A confirmation answers the request only; a cancellation still pending needs its own.
        await OutboxEntry.get_pymongo_collection().update_many(
            {
                "booking_id": {"$in": list({record["booking_id"] for record in records})},
                "topic": {"$in": [BOOKING_REQUESTED]},
                "acknowledged_at": None,
            },
            {"$set": {"acknowledged_at": now}},
            session=session,
        )
        await applied_events.insert_many(records, session=session)
    return outcomes


async def _apply(
    event: BookingRejected | BookingCancelled, session: AsyncClientSession
) -> tuple[BookingOutcome, str | None]:
    if await AppliedBookingEvent.find_one({"_id": event.event_id}, session=session) is not None:
        return "duplicate", None
    booking = await BookingDoc.find_one({"_id": event.booking_id}, session=session)
    released: str | None = None
    outcome: BookingOutcome
    if booking is None:
        outcome = "unknown_booking"
    else:
        outcome, released = await _end(booking, event, session)
    await _acknowledge(event, session)
    await AppliedBookingEvent(
        id=event.event_id, topic=event.topic, booking_id=event.booking_id, outcome=outcome
    ).insert(session=session)
    return outcome, released


async def _acknowledge(
    event: BookingRejected | BookingCancelled, session: AsyncClientSession
) -> None:
    """The outbox entries this event answers need no further publication (a confirmation's
    are acknowledged in :func:`_confirm_all`)."""
    await OutboxEntry.get_pymongo_collection().update_many(
        {
            "booking_id": event.booking_id,
            "topic": {"$in": [BOOKING_REQUESTED, CANCEL_REQUESTED]},
            "acknowledged_at": None,
        },
        {"$set": {"acknowledged_at": datetime.now(UTC)}},
        session=session,
    )


async def _end(
    booking: BookingDoc, event: BookingRejected | BookingCancelled, session: AsyncClientSession
) -> tuple[BookingOutcome, str | None]:
    """Reject or cancel: the cap's hold drops once (on leaving an active status) and the seats
    come back once (``seats_released`` on the booking)."""
    now = datetime.now(UTC)
    changes: dict[str, Any] = {"updated_at": now}
    give_back: bool
    outcome: BookingOutcome
    if isinstance(event, BookingRejected):
        outcome = "rejected"
        changes |= {"status": BookingStatus.REJECTED.value, "rejection_reason": event.reason}
        # The ledger never held these seats: they come back whatever a cancellation decided.
        give_back = not booking.seats_released
    else:
        if booking.status == BookingStatus.REJECTED:
            return "unchanged", None
        outcome = "cancelled"
        changes |= {
            "status": BookingStatus.CANCELLED.value,
            "cancelled_at": booking.cancelled_at or now,
            "cancelled_by": event.cancelled_by,
            "refund_percent": event.refund_percent,
            "refund_amount": Decimal128(event.refund_amount),
        }
        give_back = event.seats_released and not booking.seats_released
    if give_back:
        changes["seats_released"] = True
    await BookingDoc.get_pymongo_collection().update_one(
        {"_id": booking.id}, {"$set": changes}, session=session
    )
    if booking.status in ACTIVE_BOOKING_STATUSES:
        await release_hold(booking, session)
    if give_back:
        await give_seats_back(booking, session)
        return outcome, booking.launch_id
    return outcome, None
