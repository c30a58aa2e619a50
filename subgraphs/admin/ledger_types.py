"""GraphQL types of the ledger: bookings, passengers, invoices, payments, refunds, pages, reports.

Names are prefixed where the customer subgraph owns the plain name (``Booking``, ``Passenger``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from subgraphs.admin import reports, store
from subgraphs.admin.invoices import status_on
from subgraphs.admin.pages import Page
from subgraphs.admin.store import BookingStatus, InvoiceKind, InvoiceStatus, MoneyStatus

strawberry.enum(BookingStatus, name="LedgerBookingStatus")
strawberry.enum(MoneyStatus)
strawberry.enum(InvoiceKind)
strawberry.enum(InvoiceStatus)


@strawberry.type
class LedgerPageInfo:
    """Where a page ends: pass ``endCursor`` as ``after`` to get the next one."""

    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any]) -> LedgerPageInfo:
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)


@strawberry.type
class LedgerPassenger:
    """One passenger (one seat) of a ledger booking."""

    booking_id: strawberry.ID
    seat: int
    name: str
    date_of_birth: date
    email: str | None

    @classmethod
    def from_row(cls, row: store.Passenger) -> LedgerPassenger:
        return cls(
            booking_id=strawberry.ID(str(row.booking_id)),
            seat=row.position,
            name=row.name,
            date_of_birth=row.date_of_birth,
            email=row.email,
        )


@strawberry.type
class Invoice:
    """An invoice issued by AstroBookings or received from a supplier."""

    id: strawberry.ID
    number: str
    kind: InvoiceKind
    emitter: str
    recipient: str
    amount: Decimal
    currency: str
    issue_date: date
    due_date: date
    payment_status: InvoiceStatus = strawberry.field(
        description="UNPAID, PAID, or OVERDUE once unpaid after its due date."
    )
    paid_at: datetime | None
    booking_id: strawberry.ID | None
    launch_id: strawberry.ID | None
    supplier_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: store.Invoice, today: date | None = None) -> Invoice:
        """The invoice as of ``today`` (UTC): OVERDUE once unpaid past its due date."""
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            kind=row.kind,
            emitter=row.emitter,
            recipient=row.recipient,
            amount=row.amount,
            currency=row.currency,
            issue_date=row.issue_date,
            due_date=row.due_date,
            payment_status=status_on(row, today or datetime.now(UTC).date()),
            paid_at=row.paid_at,
            booking_id=_maybe(row.booking_id),
            launch_id=_maybe(row.launch_id),
            supplier_id=_maybe(row.supplier_id),
        )


def _maybe(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type
class Payment:
    """Money expected on an invoice: PENDING, then COMPLETED or FAILED."""

    id: strawberry.ID
    invoice_id: strawberry.ID
    booking_id: strawberry.ID | None
    amount: Decimal
    status: MoneyStatus
    created_at: datetime
    processed_at: datetime | None

    @classmethod
    def from_row(cls, row: store.Payment) -> Payment:
        return cls(
            id=strawberry.ID(str(row.id)),
            invoice_id=strawberry.ID(str(row.invoice_id)),
            booking_id=_maybe(row.booking_id),
            amount=row.amount,
            status=row.status,
            created_at=row.created_at,
            processed_at=row.processed_at,
        )


@strawberry.type
class Refund:
    """Money owed back for a cancelled booking: PENDING, then COMPLETED or FAILED."""

    id: strawberry.ID
    booking_id: strawberry.ID
    amount: Decimal
    percent: int
    status: MoneyStatus
    reason: str
    created_at: datetime
    processed_at: datetime | None

    @classmethod
    def from_row(cls, row: store.Refund) -> Refund:
        return cls(
            id=strawberry.ID(str(row.id)),
            booking_id=strawberry.ID(str(row.booking_id)),
            amount=row.amount,
            percent=row.percent,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
            processed_at=row.processed_at,
        )


@strawberry.type
class LaunchReportLine:
    launch_id: strawberry.ID
    supplier_id: strawberry.ID
    supplier_name: str
    revenue: Decimal
    fees: Decimal
    net: Decimal

    @classmethod
    def from_line(cls, line: reports.LaunchLine) -> LaunchReportLine:
        return cls(
            launch_id=strawberry.ID(str(line.launch_id)),
            supplier_id=strawberry.ID(str(line.supplier_id)),
            supplier_name=line.supplier_name,
            revenue=line.revenue,
            fees=line.fees,
            net=line.net,
        )


@strawberry.type
class SupplierReportLine:
    supplier_id: strawberry.ID
    supplier_name: str
    launches: int
    revenue: Decimal
    fees: Decimal
    net: Decimal

    @classmethod
    def from_line(cls, line: reports.SupplierLine) -> SupplierReportLine:
        return cls(
            supplier_id=strawberry.ID(str(line.supplier_id)),
            supplier_name=line.supplier_name,
            launches=line.launches,
            revenue=line.revenue,
            fees=line.fees,
            net=line.net,
        )


@strawberry.type
class YearReportLine:
    """Money of one kind in a year: ``actual`` settled, ``pending`` still open."""

    kind: str
    actual: Decimal
    pending: Decimal
