"""Invoices: gap-free sequential numbers per year, the booking invoice and the supplier fees."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.admin.events import add_invoice_issued
from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceStatus,
    Launch,
    LaunchStatus,
    MoneyStatus,
    Payment,
    Refund,
    Supplier,
)

EMITTER = "AstroBookings"
PAYMENT_TERM = timedelta(days=30)
ABORT_FEE = Decimal("1000.00")
FEE_RATE = Decimal("0.01")
LOYAL_FEE_RATE = Decimal("0.008")
LOYAL_AFTER_SUCCESSES = 2
CENT = Decimal("0.01")


async def next_invoice_number(session: AsyncSession, year: int) -> str:
    """The next number of ``year`` (``INV-2027-000001``), held by the counter's row lock.

    The counter row stays locked until the transaction ends, so concurrent issuers queue up and a
    rolled-back transaction gives its number back: numbers are unique and without gaps.
    """
    statement = (
        insert(InvoiceCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[InvoiceCounter.year],
            set_={"last_number": InvoiceCounter.last_number + 1},
        )
        .returning(InvoiceCounter.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return f"INV-{year}-{number:06d}"


async def issue_invoice(
    session: AsyncSession,
    *,
    kind: InvoiceKind,
    recipient: str,
    amount: Decimal,
    booking_id: uuid.UUID | None = None,
    launch_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    today: date | None = None,
) -> Invoice:
    """Issue an AstroBookings invoice with its PENDING payment, in ``session``'s transaction."""
    issued = today or datetime.now(UTC).date()
    invoice = Invoice(
        id=uuid.uuid4(),
        number=await next_invoice_number(session, issued.year),
        kind=kind,
        emitter=EMITTER,
        recipient=recipient,
        amount=amount,
        issue_date=issued,
        due_date=issued + PAYMENT_TERM,
        payment_status=InvoiceStatus.UNPAID,
        booking_id=booking_id,
        launch_id=launch_id,
        supplier_id=supplier_id,
    )
    session.add(invoice)
    await session.flush()
    session.add(
        Payment(
            invoice_id=invoice.id, booking_id=booking_id, amount=amount, status=MoneyStatus.PENDING
        )
    )
    return invoice


async def issue_booking_invoice(session: AsyncSession, booking: Booking, launch: Launch) -> Invoice:
    """The invoice of a confirmed booking, to its customer (who is told: ``invoice.issued``)."""
    invoice = await issue_invoice(
        session,
        kind=InvoiceKind.BOOKING,
        recipient=booking.customer_email,
        amount=booking.total,
        booking_id=booking.id,
        launch_id=booking.launch_id,
    )
    add_invoice_issued(
        session,
        invoice,
        recipient_email=booking.customer_email,
        recipient_user_id=booking.customer_id,
        launch=launch,
    )
    return invoice


def _tell_supplier(
    session: AsyncSession, invoice: Invoice, launch: Launch, supplier: Supplier
) -> Invoice:
    add_invoice_issued(
        session,
        invoice,
        recipient_email=supplier.contact_email,
        recipient_user_id=None if supplier.user_id is None else str(supplier.user_id),
        launch=launch,
    )
    return invoice


async def launch_revenue(session: AsyncSession, launch_id: uuid.UUID) -> Decimal:
    """What the launch's bookings earned: every accepted booking's total less its refund."""
    gross = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Booking.total), 0)).where(
            Booking.launch_id == launch_id, Booking.status != BookingStatus.REJECTED
        )
    )
    refunded = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Refund.amount), 0))
        .join(Booking, Booking.id == Refund.booking_id)
        .where(Booking.launch_id == launch_id)
    )
    return Decimal(gross or 0) - Decimal(refunded or 0)


async def fee_rate(session: AsyncSession, launch: Launch) -> Decimal:
    """1 %, or 0.8 % when the supplier had two successful launches before this one."""
    earlier = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Launch)
        .where(
            Launch.supplier_id == launch.supplier_id,
            Launch.status == LaunchStatus.SUCCESSFUL,
            Launch.id != launch.id,
            Launch.launch_date < launch.launch_date,
        )
    )
    return LOYAL_FEE_RATE if (earlier or 0) >= LOYAL_AFTER_SUCCESSES else FEE_RATE


async def issue_launch_fee(session: AsyncSession, launch: Launch, supplier: Supplier) -> Invoice:
    """The supplier's fee invoice after a successful launch."""
    revenue = await launch_revenue(session, launch.id)
    rate = await fee_rate(session, launch)
    invoice = await issue_invoice(
        session,
        kind=InvoiceKind.LAUNCH_FEE,
        recipient=supplier.name,
        amount=(revenue * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        launch_id=launch.id,
        supplier_id=supplier.id,
    )
    return _tell_supplier(session, invoice, launch, supplier)


async def issue_abort_fee(session: AsyncSession, launch: Launch, supplier: Supplier) -> Invoice:
    """The flat fee an aborted launch costs its supplier."""
    invoice = await issue_invoice(
        session,
        kind=InvoiceKind.ABORT_FEE,
        recipient=supplier.name,
        amount=ABORT_FEE,
        launch_id=launch.id,
        supplier_id=supplier.id,
    )
    return _tell_supplier(session, invoice, launch, supplier)


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Unpaid with its due date passed (the day after the due date at the latest)."""
    return invoice.payment_status is not InvoiceStatus.PAID and invoice.due_date < today


def status_on(invoice: Invoice, today: date) -> InvoiceStatus:
    """The invoice's payment status as of ``today``: OVERDUE as soon as the due date has passed,
    even before the daily job has written it."""
    return InvoiceStatus.OVERDUE if is_overdue(invoice, today) else invoice.payment_status


def status_clause(status: InvoiceStatus, today: date) -> sa.ColumnElement[bool]:
    """Invoices whose :func:`status_on` ``today`` is ``status`` (for filters)."""
    past_due = sa.and_(Invoice.payment_status != InvoiceStatus.PAID, Invoice.due_date < today)
    if status is InvoiceStatus.OVERDUE:
        return past_due
    return sa.and_(Invoice.payment_status == status, sa.not_(past_due))


async def mark_overdue(session: AsyncSession, today: date) -> list[uuid.UUID]:
    """Set every unpaid invoice due before ``today`` to OVERDUE; the ids of those changed."""
    changed = await session.scalars(
        sa.update(Invoice)
        .where(Invoice.payment_status == InvoiceStatus.UNPAID, Invoice.due_date < today)
        .values(payment_status=InvoiceStatus.OVERDUE)
        .returning(Invoice.id)
        .execution_options(synchronize_session=False)
    )
    return list(changed.all())
