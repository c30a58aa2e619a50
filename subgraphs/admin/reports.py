"""Finance reports: revenue, fees and net per launch and per supplier; actual vs pending a year.

Revenue = accepted bookings' totals less refunds; fees = the fee invoices AstroBookings issued to
the supplier for the launch (success fee or abort fee); net = revenue − fees (the supplier's share).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Database,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Launch,
    MoneyStatus,
    Refund,
    Supplier,
)

ZERO = Decimal("0.00")


def _cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(ZERO)


@dataclass(frozen=True, slots=True)
class LaunchLine:
    launch_id: uuid.UUID
    supplier_id: uuid.UUID
    supplier_name: str
    revenue: Decimal
    fees: Decimal

    @property
    def net(self) -> Decimal:
        return self.revenue - self.fees


@dataclass(frozen=True, slots=True)
class SupplierLine:
    supplier_id: uuid.UUID
    supplier_name: str
    launches: int
    revenue: Decimal
    fees: Decimal

    @property
    def net(self) -> Decimal:
        return self.revenue - self.fees


@dataclass(frozen=True, slots=True)
class YearLine:
    kind: str
    actual: Decimal
    pending: Decimal


async def per_launch(db: Database, supplier_id: uuid.UUID | None = None) -> list[LaunchLine]:
    """Every launch (of one supplier, if given) with its revenue, fees and net, soonest first."""
    gross = (
        sa.select(sa.func.coalesce(sa.func.sum(Booking.total), 0))
        .where(Booking.launch_id == Launch.id, Booking.status != BookingStatus.REJECTED)
        .scalar_subquery()
    )
    refunded = (
        sa.select(sa.func.coalesce(sa.func.sum(Refund.amount), 0))
        .join(Booking, Booking.id == Refund.booking_id)
        .where(Booking.launch_id == Launch.id)
        .scalar_subquery()
    )
    fees = (
        sa.select(sa.func.coalesce(sa.func.sum(Invoice.amount), 0))
        .where(
            Invoice.launch_id == Launch.id,
            Invoice.kind.in_([InvoiceKind.LAUNCH_FEE, InvoiceKind.ABORT_FEE]),
        )
        .scalar_subquery()
    )
    statement = (
        sa.select(Launch.id, Launch.supplier_id, Supplier.name, gross - refunded, fees)
        .join(Supplier, Supplier.id == Launch.supplier_id)
        .order_by(Launch.launch_date, Launch.id)
    )
    if supplier_id is not None:
        statement = statement.where(Launch.supplier_id == supplier_id)
    async with db.sessions() as session:
        result = await session.execute(statement)
        return [
            LaunchLine(launch_id, owner, name, _cents(revenue), _cents(fee))
            for launch_id, owner, name, revenue, fee in result.all()
        ]


async def per_supplier(db: Database) -> list[SupplierLine]:
    """Each supplier's launches summed, by supplier name."""
    totals: dict[uuid.UUID, SupplierLine] = {}
    for line in await per_launch(db):
        known = totals.get(line.supplier_id)
        totals[line.supplier_id] = SupplierLine(
            line.supplier_id,
            line.supplier_name,
            (known.launches if known else 0) + 1,
            (known.revenue if known else ZERO) + line.revenue,
            (known.fees if known else ZERO) + line.fees,
        )
    return sorted(totals.values(), key=lambda line: (line.supplier_name, line.supplier_id))


async def year(db: Database, year_: int) -> list[YearLine]:
    """Per invoice kind (issued in ``year_``) and for refunds (created in it): paid vs pending."""
    paid = Invoice.payment_status == InvoiceStatus.PAID
    invoice_rows = (
        sa.select(
            Invoice.kind,
            sa.func.coalesce(sa.func.sum(Invoice.amount).filter(paid), 0),
            sa.func.coalesce(sa.func.sum(Invoice.amount).filter(sa.not_(paid)), 0),
        )
        .where(sa.extract("year", Invoice.issue_date) == year_)
        .group_by(Invoice.kind)
    )
    done = Refund.status == MoneyStatus.COMPLETED
    open_ = Refund.status == MoneyStatus.PENDING
    refund_row = sa.select(
        sa.func.coalesce(sa.func.sum(Refund.amount).filter(done), 0),
        sa.func.coalesce(sa.func.sum(Refund.amount).filter(open_), 0),
    ).where(sa.extract("year", Refund.created_at) == year_)
    async with db.sessions() as session:
        found = {
            kind: (_cents(actual), _cents(pending))
            for kind, actual, pending in (await session.execute(invoice_rows)).all()
        }
        refunds_done, refunds_open = (await session.execute(refund_row)).one()
    lines = [YearLine(kind.value, *found.get(kind, (ZERO, ZERO))) for kind in InvoiceKind]
    lines.append(YearLine("REFUND", _cents(refunds_done), _cents(refunds_open)))
    return lines
