"""What suppliers and finance read: launches, bookings, manifests, invoices, money records.

Row-level rule: ``bookings:read`` and ``launches:read`` read every launch and booking;
``bookings:supplier`` and ``launches:own`` only those of the caller's own supplier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from astro.errors import Forbidden, NotFound
from astro.identity import Identity
from subgraphs.admin.invoices import status_clause
from subgraphs.admin.pages import Page, paginate
from subgraphs.admin.resolvers import maybe_id, parse_id, supplier_of
from subgraphs.admin.store import (
    TERMINAL_STATUSES,
    Booking,
    BookingStatus,
    Database,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Launch,
    LaunchStatus,
    MoneyStatus,
    Passenger,
    Payment,
    Refund,
)

MoneyT = TypeVar("MoneyT", Payment, Refund)


async def readable_launch(
    session: AsyncSession, identity: Identity, launch_id: uuid.UUID
) -> Launch:
    """The launch if the caller may read its bookings: every launch with ``bookings:read``, else
    (``bookings:supplier``) only a launch of the caller's own supplier."""
    launch = await session.get(Launch, launch_id)
    if launch is None:
        raise NotFound(f"No launch with id {launch_id}.", field="launchId")
    if not identity.has_scope("bookings:read"):
        supplier = await supplier_of(session, identity)
        if launch.supplier_id != supplier.id:
            raise Forbidden(f"Launch {launch_id} belongs to another supplier.", field="launchId")
    return launch


@dataclass(frozen=True, slots=True)
class LaunchFilter:
    status: LaunchStatus | None = None
    supplier_id: str | None = None
    below_viability_threshold: bool | None = None


async def launches_page(
    db: Database,
    identity: Identity,
    *,
    own: bool,
    where: LaunchFilter,
    first: int,
    after: str | None,
) -> Page[Launch]:
    """Launches soonest first: the caller's own (``own``) or, for finance, every one."""
    async with db.sessions() as session:
        statement = sa.select(Launch)
        if own:
            supplier = await supplier_of(session, identity)
            statement = statement.where(Launch.supplier_id == supplier.id)
        elif where.supplier_id is not None:
            statement = statement.where(Launch.supplier_id == maybe_id(where.supplier_id))
        if where.status is not None:
            statement = statement.where(Launch.status == where.status)
        if where.below_viability_threshold is not None:
            statement = statement.where(_viability_clause(where.below_viability_threshold))
        return await paginate(
            session,
            statement,
            key=Launch.launch_date,
            id_column=Launch.id,
            first=first,
            after=after,
        )


def _viability_clause(flagged: bool) -> sa.ColumnElement[bool]:
    three_months_ahead = sa.func.now() + sa.text("interval '3 months'")
    clause = sa.and_(
        Launch.status.not_in(list(TERMINAL_STATUSES)),
        Launch.launch_date <= three_months_ahead,
        Launch.seats_sold * 10 < Launch.total_seats * 3,
    )
    return clause if flagged else sa.not_(clause)


@dataclass(frozen=True, slots=True)
class BookingFilter:
    launch_id: str | None = None
    status: BookingStatus | None = None
    customer: str | None = None  # a customer id or email


async def bookings_page(
    db: Database,
    identity: Identity,
    *,
    own: bool,
    where: BookingFilter,
    first: int,
    after: str | None,
) -> Page[Booking]:
    """Bookings newest first: of the caller's launches (``own``) or, for finance, all."""
    async with db.sessions() as session:
        statement = sa.select(Booking)
        if own:
            supplier = await supplier_of(session, identity)
            statement = statement.join(Launch, Launch.id == Booking.launch_id).where(
                Launch.supplier_id == supplier.id
            )
        if where.launch_id is not None:
            statement = statement.where(Booking.launch_id == maybe_id(where.launch_id))
        if where.status is not None:
            statement = statement.where(Booking.status == where.status)
        if where.customer:
            statement = statement.where(
                sa.or_(
                    Booking.customer_id == where.customer,
                    sa.func.lower(Booking.customer_email) == where.customer.lower(),
                )
            )
        return await paginate(
            session,
            statement,
            key=Booking.created_at,
            id_column=Booking.id,
            first=first,
            after=after,
            descending=True,
        )


async def booking(db: Database, identity: Identity, booking_id: str) -> Booking:
    """One booking the caller may read (finance: any; supplier: of its own launches)."""
    async with db.sessions() as session:
        row = await session.get(Booking, parse_id(booking_id, "id"))
        if row is None:
            raise NotFound(f"No booking with id {booking_id}.", field="id")
        await readable_launch(session, identity, row.launch_id)
        return row


async def invoice(db: Database, invoice_id: str) -> Invoice:
    """One invoice by id (finance)."""
    async with db.sessions() as session:
        row = await session.get(Invoice, parse_id(invoice_id, "id"))
        if row is None:
            raise NotFound(f"No invoice with id {invoice_id}.", field="id")
        return row


async def manifest(db: Database, identity: Identity, launch_id: str) -> list[Passenger]:
    """The passengers of the launch's confirmed bookings, by booking then seat."""
    async with db.sessions() as session:
        launch = await readable_launch(session, identity, parse_id(launch_id, "launchId"))
        rows = await session.scalars(
            sa.select(Passenger)
            .join(Booking, Booking.id == Passenger.booking_id)
            .where(Booking.launch_id == launch.id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.created_at, Booking.id, Passenger.position)
        )
        return list(rows.all())


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    kind: InvoiceKind | None = None
    payment_status: InvoiceStatus | None = None
    year: int | None = None
    supplier_id: str | None = None


async def invoices_page(
    db: Database, where: InvoiceFilter, *, first: int, after: str | None
) -> Page[Invoice]:
    """Invoices newest first (finance)."""
    async with db.sessions() as session:
        statement = sa.select(Invoice)
        if where.kind is not None:
            statement = statement.where(Invoice.kind == where.kind)
        if where.payment_status is not None:
            statement = statement.where(
                status_clause(where.payment_status, datetime.now(UTC).date())
            )
        if where.year is not None:
            statement = statement.where(sa.extract("year", Invoice.issue_date) == where.year)
        if where.supplier_id is not None:
            statement = statement.where(Invoice.supplier_id == maybe_id(where.supplier_id))
        return await paginate(
            session,
            statement,
            key=Invoice.created_at,
            id_column=Invoice.id,
            first=first,
            after=after,
            descending=True,
        )


async def payments_page(
    db: Database, status: MoneyStatus | None, *, first: int, after: str | None
) -> Page[Payment]:
    """Payments newest first (finance)."""
    return await _money_page(db, Payment, status, first=first, after=after)


async def refunds_page(
    db: Database, status: MoneyStatus | None, *, first: int, after: str | None
) -> Page[Refund]:
    """Refunds newest first (finance)."""
    return await _money_page(db, Refund, status, first=first, after=after)


async def _money_page(
    db: Database,
    model: type[MoneyT],
    status: MoneyStatus | None,
    *,
    first: int,
    after: str | None,
) -> Page[MoneyT]:
    async with db.sessions() as session:
        statement = sa.select(model)
        if status is not None:
            statement = statement.where(model.status == status)
        return await paginate(
            session,
            statement,
            key=model.created_at,
            id_column=model.id,
            first=first,
            after=after,
            descending=True,
        )
