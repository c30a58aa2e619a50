"""A supplier's own records: company profile and rockets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from astro.errors import BadUserInput, Conflict, Forbidden, NotFound
from astro.identity import Identity
from subgraphs.admin.resolvers import check_text, parse_id, supplier_of
from subgraphs.admin.store import (
    TERMINAL_STATUSES,
    Database,
    Launch,
    Rocket,
    RocketRange,
    Supplier,
)


@dataclass(frozen=True, slots=True)
class ProfileEdit:
    """Company profile fields to change (``None``: unchanged)."""

    name: str | None = None
    tax_id: str | None = None
    legal_address: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True, slots=True)
class RocketEdit:
    """Rocket fields to change (``None``: unchanged)."""

    name: str | None = None
    capacity: int | None = None
    range: RocketRange | None = None
    specs: str | None = None


async def own_profile(db: Database, identity: Identity) -> Supplier:
    """The supplier the caller acts for."""
    async with db.sessions() as session:
        return await supplier_of(session, identity)


async def update_profile(db: Database, identity: Identity, edit: ProfileEdit) -> Supplier:
    """Change the caller's company profile."""
    async with db.sessions.begin() as session:
        supplier = await supplier_of(session, identity)
        if edit.name is not None:
            supplier.name = check_text(edit.name, "name")
        if edit.tax_id is not None:
            supplier.tax_id = check_text(edit.tax_id, "taxId")
        if edit.legal_address is not None:
            supplier.legal_address = check_text(edit.legal_address, "legalAddress", limit=500)
        if edit.contact_email is not None:
            email = check_text(edit.contact_email, "contactEmail")
            if "@" not in email.strip("@"):
                raise BadUserInput("contactEmail must be an email address.", field="contactEmail")
            supplier.contact_email = email
    return supplier


async def _own_rocket(session: AsyncSession, identity: Identity, rocket_id: str) -> Rocket:
    supplier = await supplier_of(session, identity)
    rocket = await session.get(Rocket, parse_id(rocket_id, "id"), with_for_update=True)
    if rocket is None or rocket.deleted_at is not None:
        raise NotFound(f"No rocket with id {rocket_id}.", field="id")
    if rocket.supplier_id != supplier.id:
        raise Forbidden(f"Rocket {rocket_id} belongs to another supplier.", field="id")
    return rocket


def _active(rocket: Rocket) -> sa.ColumnElement[bool]:
    return sa.and_(Launch.rocket_id == rocket.id, Launch.status.not_in(list(TERMINAL_STATUSES)))


async def update_rocket(
    db: Database, identity: Identity, rocket_id: str, edit: RocketEdit
) -> Rocket:
    """Change one of the caller's rockets; capacity never below an active launch's seats."""
    async with db.sessions.begin() as session:
        rocket = await _own_rocket(session, identity, rocket_id)
        if edit.name is not None:
            rocket.name = check_text(edit.name, "name")
        if edit.range is not None:
            rocket.range = edit.range
        if edit.specs is not None:
            rocket.specs = edit.specs.strip()[:2000]
        if edit.capacity is not None:
            if edit.capacity < 1:
                raise BadUserInput("capacity must be at least 1.", field="capacity")
            largest = await session.scalar(
                sa.select(sa.func.max(Launch.total_seats)).where(_active(rocket))
            )
            if largest is not None and edit.capacity < largest:
                raise BadUserInput(
                    f"capacity must be at least {largest}: an active launch sells that many "
                    f"seats on this rocket.",
                    field="capacity",
                )
            rocket.capacity = edit.capacity
    return rocket


async def delete_rocket(db: Database, identity: Identity, rocket_id: str) -> Rocket:
    """Retire one of the caller's rockets; ``CONFLICT`` while it has launches not yet flown."""
    async with db.sessions.begin() as session:
        rocket = await _own_rocket(session, identity, rocket_id)
        active = (await session.scalars(sa.select(Launch).where(_active(rocket)).limit(5))).all()
        if active:
            listed = ", ".join(launch.slug for launch in active)
            raise Conflict(
                f"Rocket {rocket.name!r} has scheduled launches ({listed}); abort or fly them "
                f"before deleting it.",
                field="id",
            )
        # Kept as a row (flown launches refer to it), hidden from lists and new schedules.
        rocket.deleted_at = datetime.now(UTC)
    return rocket
