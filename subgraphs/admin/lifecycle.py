"""The launch lifecycle and launch edits, by the owning supplier.

``SCHEDULED → CONFIRMED → SUCCESSFUL | FAILED``; ``SCHEDULED | CONFIRMED ⇄ DELAYED`` (a delayed
launch is confirmed again, or delayed further); any non-terminal status → ``ABORTED``. Each change
writes a status-history row (who, when, why, the date in effect) and a ``launch.updated`` event
carrying the new version, in the transaction of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from astro.errors import BadUserInput, Forbidden, NotFound
from astro.identity import Identity
from subgraphs.admin.events import LAUNCH_UPDATED, LaunchChange, LaunchParts, add_launch_event
from subgraphs.admin.invoices import issue_abort_fee, issue_launch_fee
from subgraphs.admin.ledger import cancel_locked, lock_launch
from subgraphs.admin.resolvers import check_price, check_text, parse_id, supplier_of
from subgraphs.admin.store import (
    TERMINAL_STATUSES,
    Booking,
    BookingStatus,
    Database,
    Launch,
    LaunchStatus,
    LaunchStatusHistory,
    Rocket,
    Spaceport,
    Supplier,
)

S = LaunchStatus

# Action → the statuses it may start from, and where it leads.
TRANSITIONS: dict[str, tuple[frozenset[LaunchStatus], LaunchStatus]] = {
    "confirm": (frozenset({S.SCHEDULED, S.DELAYED}), S.CONFIRMED),
    "delay": (frozenset({S.SCHEDULED, S.CONFIRMED, S.DELAYED}), S.DELAYED),
    "abort": (frozenset({S.SCHEDULED, S.CONFIRMED, S.DELAYED}), S.ABORTED),
    "succeed": (frozenset({S.CONFIRMED}), S.SUCCESSFUL),
    "fail": (frozenset({S.CONFIRMED}), S.FAILED),
}

_VERBS = {
    "confirm": "confirmed",
    "delay": "delayed",
    "abort": "aborted",
    "succeed": "marked successful",
    "fail": "marked failed",
}


@dataclass(frozen=True, slots=True)
class LaunchEdit:
    """Fields a supplier may change while the launch is SCHEDULED (``None``: unchanged)."""

    destination: str | None = None
    price_per_seat: Decimal | None = None
    seats: int | None = None
    spaceport_id: str | None = None


async def _owned_launch(
    session: AsyncSession, identity: Identity, launch_id: str
) -> tuple[Launch, Supplier]:
    supplier = await supplier_of(session, identity)
    launch = await lock_launch(session, parse_id(launch_id, "id"))
    if launch is None:
        raise NotFound(f"No launch with id {launch_id}.", field="id")
    if launch.supplier_id != supplier.id:
        raise Forbidden(f"Launch {launch_id} belongs to another supplier.", field="id")
    return launch, supplier


async def _parts(session: AsyncSession, launch: Launch, supplier: Supplier) -> LaunchParts:
    rocket = await session.get(Rocket, launch.rocket_id)
    spaceport = await session.get(Spaceport, launch.spaceport_id)
    assert rocket is not None and spaceport is not None  # foreign keys
    return LaunchParts(launch, rocket, supplier, spaceport)


def _check_transition(launch: Launch, action: str) -> LaunchStatus:
    sources, target = TRANSITIONS[action]
    if launch.status not in sources:
        allowed = " or ".join(sorted(status.value for status in sources))
        raise BadUserInput(
            f"Launch {launch.id} cannot be {_VERBS[action]}: it is {launch.status.value} "
            f"(only a {allowed} launch can be).",
            currentStatus=launch.status.value,
        )
    return target


def _reason(reason: str | None, *, required: bool) -> str | None:
    if reason is None or not reason.strip():
        if required:
            raise BadUserInput("reason must not be empty.", field="reason")
        return None
    return check_text(reason, "reason", limit=500)


async def _record_change(
    session: AsyncSession,
    launch: Launch,
    supplier: Supplier,
    identity: Identity,
    *,
    from_status: LaunchStatus | None,
    reason: str | None,
    action: str,
    previous_date: datetime,
) -> LaunchParts:
    active: tuple[tuple[str, str], ...] = ()
    if action in {"delay", "abort"}:  # every customer with an active booking is told
        active = await _active_customers(session, launch)
    await session.flush()  # the versioned UPDATE: launch.version is the new one
    session.add(
        LaunchStatusHistory(
            launch_id=launch.id,
            from_status=from_status,
            to_status=launch.status,
            reason=reason,
            by_user=identity.sub,
            launch_date=launch.launch_date,
        )
    )
    parts = await _parts(session, launch, supplier)
    change = LaunchChange(
        action=action,
        from_status=None if from_status is None else from_status.value,
        reason=reason,
        previous_launch_date=previous_date,
        active_customers=active,
    )
    add_launch_event(session, LAUNCH_UPDATED, parts, change)
    return parts


async def _active_customers(session: AsyncSession, launch: Launch) -> tuple[tuple[str, str], ...]:
    rows = await session.execute(
        sa.select(Booking.customer_id, sa.func.min(Booking.customer_email))
        .where(Booking.launch_id == launch.id, Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.customer_id)
        .order_by(Booking.customer_id)
    )
    return tuple((str(customer_id), str(email)) for customer_id, email in rows.all())


async def transition(
    db: Database,
    identity: Identity,
    launch_id: str,
    action: str,
    *,
    reason: str | None = None,
    new_date: datetime | None = None,
) -> LaunchParts:
    """Move the caller's launch by ``action`` (see :data:`TRANSITIONS`), in one transaction."""
    async with db.sessions.begin() as session:
        launch, supplier = await _owned_launch(session, identity, launch_id)
        target = _check_transition(launch, action)
        from_status = launch.status
        previous_date = launch.launch_date
        now = datetime.now(UTC)
        why = _reason(reason, required=action in {"delay", "abort"})
        if action in {"succeed", "fail"} and now < launch.launch_date:
            raise BadUserInput(
                f"Launch {launch.id} cannot be {_VERBS[action]} before its launch date "
                f"({launch.launch_date.isoformat()}).",
                currentStatus=launch.status.value,
            )
        if action == "delay":
            launch.launch_date = _check_new_date(launch, new_date, now)
            launch.viability_flagged_at = None  # checked again against the new date
        launch.status = target
        parts = await _record_change(
            session,
            launch,
            supplier,
            identity,
            from_status=from_status,
            reason=why,
            action=action,
            previous_date=previous_date,
        )
        if action == "abort":
            await _cancel_every_active_booking(session, launch, now)
            await issue_abort_fee(session, launch, supplier)
        elif action == "succeed":
            await issue_launch_fee(session, launch, supplier)
    return parts


def _check_new_date(launch: Launch, new_date: datetime | None, now: datetime) -> datetime:
    if new_date is None:
        raise BadUserInput("newLaunchDate is required to delay a launch.", field="newLaunchDate")
    if new_date.tzinfo is None or new_date.utcoffset() is None:
        raise BadUserInput(
            "newLaunchDate must include a timezone offset, e.g. 2027-05-01T14:00:00Z.",
            field="newLaunchDate",
        )
    if new_date <= launch.launch_date or new_date <= now:
        raise BadUserInput(
            f"newLaunchDate must be later than the current launch date "
            f"({launch.launch_date.isoformat()}).",
            field="newLaunchDate",
        )
    return new_date.astimezone(UTC)


async def _cancel_every_active_booking(
    session: AsyncSession, launch: Launch, now: datetime
) -> None:
    bookings = await session.scalars(
        sa.select(Booking)
        .where(Booking.launch_id == launch.id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.created_at, Booking.id)
        .with_for_update()
    )
    for booking in bookings.all():
        await cancel_locked(session, launch, booking, at=now, cancelled_by="abort")


async def edit_launch(
    db: Database, identity: Identity, launch_id: str, edit: LaunchEdit
) -> LaunchParts:
    """Change a SCHEDULED launch of the caller: destination, price, seats on sale, spaceport."""
    async with db.sessions.begin() as session:
        launch, supplier = await _owned_launch(session, identity, launch_id)
        if launch.status is not LaunchStatus.SCHEDULED:
            raise BadUserInput(
                f"Launch {launch.id} can only be edited while SCHEDULED; it is "
                f"{launch.status.value}.",
                currentStatus=launch.status.value,
            )
        if edit.destination is not None:
            launch.destination = check_text(edit.destination, "destination")
        if edit.price_per_seat is not None:
            launch.price_per_seat = check_price(edit.price_per_seat)
        if edit.seats is not None:
            rocket = await session.get(Rocket, launch.rocket_id, with_for_update={"read": True})
            assert rocket is not None
            if edit.seats > rocket.capacity:
                raise BadUserInput(
                    f"seats must not exceed the capacity of rocket {rocket.name!r} "
                    f"({rocket.capacity}); got {edit.seats}.",
                    field="seats",
                )
            if edit.seats < max(launch.seats_sold, 1):
                raise BadUserInput(
                    f"seats must be at least the {launch.seats_sold} seat(s) already sold "
                    f"(and at least 1); got {edit.seats}.",
                    field="seats",
                )
            launch.total_seats = edit.seats
        if edit.spaceport_id is not None:
            spaceport_id = parse_id(edit.spaceport_id, "spaceportId")
            if await session.get(Spaceport, spaceport_id) is None:
                raise NotFound(f"No spaceport with id {spaceport_id}.", field="spaceportId")
            launch.spaceport_id = spaceport_id
        if not session.is_modified(launch):
            return await _parts(session, launch, supplier)
        return await _record_change(
            session,
            launch,
            supplier,
            identity,
            from_status=launch.status,
            reason="edited",
            action="edit",
            previous_date=launch.launch_date,
        )


__all__ = ["TERMINAL_STATUSES", "TRANSITIONS", "LaunchEdit", "edit_launch", "transition"]
