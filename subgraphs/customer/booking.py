"""Booking seats: the rules, then one MongoDB transaction that takes the seats, writes the
booking as PENDING and its ``booking.requested`` outbox entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from astro.contracts.bookings import BookingRequested, RequestedBooking, RequestedPassenger
from astro.contracts.jobs import RECORD_BOOKING
from astro.errors import AstroError, BadUserInput, Conflict, NotFound
from astro.identity import Identity
from astro.settings import Settings
from subgraphs.customer.group_commit import GroupCommit
from subgraphs.customer.profiles import VipStatus, vip_statuses
from subgraphs.customer.store import (
    BOOKABLE_STATUSES,
    BookingDoc,
    BookingStatus,
    LaunchDoc,
    OutboxEntry,
    PassengerInfo,
    SeatHold,
    mongo_client,
    seat_hold_id,
)

MIN_AGE = 18
MAX_AGE = 70
BOOKING_REQUESTED = BookingRequested.TOPIC


@dataclass(frozen=True, slots=True)
class BookingRequest:
    launch_id: str
    passengers: list[PassengerInfo]


def age_on(born: date, day: date) -> int:
    """Completed years of someone born on ``born`` on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_bookable(launch: LaunchDoc, now: datetime) -> None:
    """``Conflict`` (with the launch's status) when the launch can no longer be booked."""
    if launch.status not in BOOKABLE_STATUSES:
        raise Conflict(
            f"Launch {launch.slug} is {launch.status.value}: it can no longer be booked.",
            status=launch.status.value,
        )
    if launch.launch_date <= now:
        raise Conflict(
            f"Launch {launch.slug} has already left ({launch.launch_date:%Y-%m-%d}): "
            "it can no longer be booked.",
            status=launch.status.value,
        )


def check_seats_left(launch: LaunchDoc, seats: int) -> None:
    """``Conflict`` with ``seatsLeft`` when fewer than ``seats`` seats are free."""
    if launch.seats_left >= seats:
        return
    if launch.seats_left <= 0:
        message = f"Launch {launch.slug} is sold out."
    else:
        message = (
            f"Launch {launch.slug} has only {launch.seats_left} seat(s) left; "
            f"you asked for {seats}."
        )
    raise Conflict(message, seatsLeft=max(launch.seats_left, 0))


def check_passengers(passengers: list[PassengerInfo], launch_date: datetime) -> None:
    """``BadUserInput`` naming the first passenger who breaks a rule."""
    if not passengers:
        raise BadUserInput(
            "Add at least one passenger: one seat per passenger.", field="passengers"
        )
    day = launch_date.astimezone(UTC).date()
    for index, passenger in enumerate(passengers):
        name = passenger.name.strip()
        if not name:
            raise BadUserInput(
                f"Passenger {index + 1} needs a name.", field="passengers", index=index
            )
        if "@" not in passenger.email:
            raise BadUserInput(
                f"Passenger {name} needs a valid contact email.", field="passengers", index=index
            )
        age = age_on(passenger.date_of_birth, day)
        if not MIN_AGE <= age <= MAX_AGE:
            raise BadUserInput(
                f"Passenger {name} would be {age} on the launch date ({day.isoformat()}); "
                f"passengers must be {MIN_AGE} to {MAX_AGE}.",
                field="passengers",
                index=index,
            )


def over_cap(cap: int, held: int, seats: int, vip: bool) -> BadUserInput:
    remaining = max(cap - held, 0)
    who = "a VIP" if vip else "a customer"
    return BadUserInput(
        f"At most {cap} seats per launch for {who}: you hold {held}, so you can book "
        f"{remaining} more (you asked for {seats}).",
        field="passengers",
        remaining=remaining,
        cap=cap,
    )


def booking_requested_event(booking: BookingDoc, event_id: str) -> BookingRequested:
    """The ``booking.requested`` message: the argument of the ledger's ``record_booking`` job."""
    return BookingRequested(
        event_id=event_id,
        booking=RequestedBooking(
            id=booking.id,
            launch_id=booking.launch_id,
            customer_id=booking.customer_id,
            customer_email=booking.customer_email,
            seats=booking.seats,
            unit_price=booking.unit_price,
            total=booking.total,
            passengers=tuple(
                RequestedPassenger(
                    name=passenger.name,
                    date_of_birth=passenger.date_of_birth,
                    email=passenger.email,
                )
                for passenger in booking.passengers
            ),
            created_at=booking.created_at,
        ),
    )


async def book_seats(
    settings: Settings, identity: Identity, request: BookingRequest, now: datetime | None = None
) -> BookingDoc:
    """Book one seat per passenger on a launch for the caller; the booking is PENDING.

    Every rule is checked in the booking's group (see :func:`_commit_group`) on what its
    transaction reads, so a booking costs the store no read of its own: under a rush the group
    reads the launch once and turns away, in memory, whoever no longer fits.
    """
    item = _Request(settings, identity, request, now or datetime.now(UTC))
    return await _committer.submit(request.launch_id, item)


@dataclass(frozen=True, slots=True)
class _Request:
    settings: Settings
    identity: Identity
    request: BookingRequest
    now: datetime

    @property
    def seats(self) -> int:
        return len(self.request.passengers)

    @property
    def hold_id(self) -> str:
        return seat_hold_id(self.identity.sub, self.request.launch_id)


_Outcome = BookingDoc | Exception  # a refusal is the booking's AstroError


async def _commit_group(launch_id: str, items: list[_Request]) -> list[_Outcome]:
    """One transaction for the bookings waiting on one launch.

    Every booking of a launch writes its catalog document, so concurrent transactions on it
    conflict and retry; in this process they queue instead (:class:`GroupCommit`). The rules
    are still checked inside the transaction on what it reads, and the seat update stays
    conditional, so other processes cannot oversell either.
    """
    statuses = await vip_statuses(
        items[0].settings, {item.identity.sub for item in items}, items[0].now
    )
    async with mongo_client().start_session() as session:
        outcomes: list[_Outcome] = await session.with_transaction(
            partial(_book_group, launch_id, items, statuses)
        )
    return outcomes


_committer: GroupCommit[str, _Request, BookingDoc] = GroupCommit(_commit_group)


async def _book_group(
    launch_id: str,
    items: list[_Request],
    statuses: dict[str, VipStatus],
    session: AsyncClientSession,
) -> list[_Outcome]:
    launch = await LaunchDoc.find_one({"_id": launch_id}, session=session)
    if launch is None:
        return [NotFound(f"No launch {launch_id} in the catalog.", field="launchId") for _ in items]
    holds = {
        hold.id: hold.seats
        for hold in await SeatHold.find(
            {"_id": {"$in": list({item.hold_id for item in items})}}, session=session
        ).to_list()
    }
    seats_left = launch.seats_left
    outcomes: list[_Outcome] = []
    accepted: list[BookingDoc] = []
    for item in items:
        held = holds.get(item.hold_id, 0)
        status = statuses[item.identity.sub]
        try:
            check_bookable(launch, item.now)
            check_passengers(item.request.passengers, launch.launch_date)
            if held + item.seats > status.max_seats_per_launch:
                raise over_cap(status.max_seats_per_launch, held, item.seats, status.vip)
            check_seats_left(launch.model_copy(update={"seats_left": seats_left}), item.seats)
        except AstroError as refused:
            outcomes.append(refused)
            continue
        seats_left -= item.seats
        holds[item.hold_id] = held + item.seats
        booking = _new_booking(item, launch)
        accepted.append(booking)
        outcomes.append(booking)
    if accepted:
        await _write_group(launch, items, accepted, launch.seats_left - seats_left, session)
    return outcomes


def _new_booking(item: _Request, launch: LaunchDoc) -> BookingDoc:
    return BookingDoc(
        id=str(uuid.uuid4()),
        customer_id=item.identity.sub,
        customer_email=item.identity.email,
        launch_id=launch.id,
        launch_slug=launch.slug,
        launch_destination=launch.destination,
        launch_date=launch.launch_date,
        seats=item.seats,
        unit_price=launch.price_per_seat,
        total=launch.price_per_seat * item.seats,
        passengers=[
            passenger.model_copy(update={"name": passenger.name.strip()})
            for passenger in item.request.passengers
        ],
        status=BookingStatus.PENDING,
        created_at=item.now,
        updated_at=item.now,
    )


async def _write_group(
    launch: LaunchDoc,
    items: list[_Request],
    bookings: list[BookingDoc],
    seats: int,
    session: AsyncClientSession,
) -> None:
    await SeatHold.get_pymongo_collection().bulk_write(
        [
            UpdateOne(
                {"_id": seat_hold_id(booking.customer_id, booking.launch_id)},
                {
                    "$inc": {"seats": booking.seats},
                    "$setOnInsert": {
                        "customer_id": booking.customer_id,
                        "launch_id": booking.launch_id,
                    },
                },
                upsert=True,
            )
            for booking in bookings
        ],
        ordered=True,
        session=session,
    )
    await BookingDoc.insert_many(bookings, session=session)
    entries = []
    for booking in bookings:
        event_id = str(uuid.uuid4())
        entries.append(
            OutboxEntry(
                id=event_id,
                topic=BOOKING_REQUESTED,
                job=RECORD_BOOKING,
                booking_id=booking.id,
                payload=booking_requested_event(booking, event_id).payload(),
                created_at=booking.created_at,
            )
        )
    await OutboxEntry.insert_many(entries, session=session)
    # The seats last: the catalog document is the hot spot every booking of this launch
    # writes, so it is held for as short a time as possible before the commit.
    taken = await LaunchDoc.get_pymongo_collection().update_one(
        {
            "_id": launch.id,
            "version": launch.version,
            "seats_left": {"$gte": seats},
            "status": {"$in": [status.value for status in BOOKABLE_STATUSES]},
        },
        {"$inc": {"seats_left": -seats}},
        session=session,
    )
    if taken.modified_count != 1:
        # Changed since this transaction read it: a transient conflict, so the group retries.
        raise _launch_moved()


def _launch_moved() -> PyMongoError:
    return PyMongoError(
        "the launch changed while the booking group was written",
        error_labels=["TransientTransactionError"],
    )
