"""Finance's writes: cancelling a booking for a customer, payments, refunds, received invoices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from astro.errors import BadUserInput, Conflict, NotFound
from astro.identity import Identity
from subgraphs.admin.events import add_refund_processed
from subgraphs.admin.invoices import EMITTER
from subgraphs.admin.ledger import cancel_locked, lock_launch
from subgraphs.admin.resolvers import check_price, check_text, parse_id
from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Database,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Launch,
    MoneyStatus,
    Payment,
    Refund,
    Supplier,
)

SETTLED = frozenset({MoneyStatus.COMPLETED, MoneyStatus.FAILED})


async def cancel_booking(db: Database, identity: Identity, booking_id: str) -> Booking:
    """Cancel a booking on the customer's behalf, with the customer's refund rules."""
    parsed = parse_id(booking_id, "id")
    async with db.sessions.begin() as session:
        launch_id = await session.scalar(sa.select(Booking.launch_id).where(Booking.id == parsed))
        if launch_id is None:
            raise NotFound(f"No booking with id {booking_id}.", field="id")
        launch = await lock_launch(session, launch_id)
        assert launch is not None
        booking = await session.get(Booking, parsed, with_for_update=True, populate_existing=True)
        assert booking is not None
        if booking.status is not BookingStatus.CONFIRMED:
            raise Conflict(
                f"Booking {booking_id} is {booking.status.value}; only a CONFIRMED booking can "
                f"be cancelled.",
                currentStatus=booking.status.value,
            )
        await cancel_locked(session, launch, booking, at=datetime.now(UTC), cancelled_by="finance")
    return booking


def _settle_check(kind: str, record_id: uuid.UUID, current: MoneyStatus, to: MoneyStatus) -> None:
    if to not in SETTLED:
        raise BadUserInput("status must be COMPLETED or FAILED.", field="status")
    if current is not MoneyStatus.PENDING:
        raise Conflict(
            f"{kind} {record_id} is already {current.value}; only a PENDING {kind.lower()} can "
            f"be settled.",
            currentStatus=current.value,
        )


async def settle_payment(
    db: Database, identity: Identity, payment_id: str, status: MoneyStatus
) -> Payment:
    """PENDING → COMPLETED (the invoice is then PAID) or FAILED."""
    async with db.sessions.begin() as session:
        payment = await session.get(Payment, parse_id(payment_id, "id"), with_for_update=True)
        if payment is None:
            raise NotFound(f"No payment with id {payment_id}.", field="id")
        _settle_check("Payment", payment.id, payment.status, status)
        now = datetime.now(UTC)
        payment.status, payment.processed_at, payment.processed_by = status, now, identity.sub
        if status is MoneyStatus.COMPLETED:
            invoice = await session.get(Invoice, payment.invoice_id, with_for_update=True)
            assert invoice is not None
            invoice.payment_status, invoice.paid_at = InvoiceStatus.PAID, now
    return payment


async def retry_payment(db: Database, identity: Identity, invoice_id: str) -> Payment:
    """A new PENDING payment for an unpaid invoice whose payments all failed."""
    async with db.sessions.begin() as session:
        invoice = await session.get(
            Invoice, parse_id(invoice_id, "invoiceId"), with_for_update=True
        )
        if invoice is None:
            raise NotFound(f"No invoice with id {invoice_id}.", field="invoiceId")
        open_payment = await session.scalar(
            sa.select(Payment.id).where(
                Payment.invoice_id == invoice.id, Payment.status != MoneyStatus.FAILED
            )
        )
        if invoice.payment_status is InvoiceStatus.PAID or open_payment is not None:
            raise Conflict(
                f"Invoice {invoice.number} is paid or has a payment under way.",
                currentStatus=invoice.payment_status.value,
            )
        payment = Payment(
            invoice_id=invoice.id,
            booking_id=invoice.booking_id,
            amount=invoice.amount,
            status=MoneyStatus.PENDING,
        )
        session.add(payment)
    return payment


async def settle_refund(
    db: Database, identity: Identity, refund_id: str, status: MoneyStatus
) -> Refund:
    """PENDING → COMPLETED (the customer is told: ``refund.processed``) or FAILED."""
    async with db.sessions.begin() as session:
        refund = await session.get(Refund, parse_id(refund_id, "id"), with_for_update=True)
        if refund is None:
            raise NotFound(f"No refund with id {refund_id}.", field="id")
        _settle_check("Refund", refund.id, refund.status, status)
        refund.status, refund.processed_at, refund.processed_by = (
            status,
            datetime.now(UTC),
            identity.sub,
        )
        if status is MoneyStatus.COMPLETED:
            booking = await session.get(Booking, refund.booking_id)
            assert booking is not None  # foreign key
            launch = await session.get(Launch, booking.launch_id)
            assert launch is not None
            add_refund_processed(session, refund, booking, launch)
    return refund


@dataclass(frozen=True, slots=True)
class ReceivedInvoice:
    """An invoice a supplier sent us, as finance records it."""

    supplier_id: str
    number: str
    amount: Decimal
    issue_date: date
    due_date: date
    launch_id: str | None = None


async def record_received_invoice(
    db: Database, identity: Identity, given: ReceivedInvoice
) -> Invoice:
    """Record a supplier's invoice (its own number, unique per supplier) with a PENDING payment."""
    number = check_text(given.number, "number")
    amount = check_price(given.amount) if given.amount != 0 else Decimal("0.00")
    if given.due_date < given.issue_date:
        raise BadUserInput("dueDate must not be before issueDate.", field="dueDate")
    supplier_id = parse_id(given.supplier_id, "supplierId")
    launch_id = parse_id(given.launch_id, "launchId") if given.launch_id else None
    try:
        async with db.sessions.begin() as session:
            supplier = await session.get(Supplier, supplier_id)
            if supplier is None:
                raise NotFound(f"No supplier with id {supplier_id}.", field="supplierId")
            invoice = Invoice(
                id=uuid.uuid4(),
                number=number,
                kind=InvoiceKind.RECEIVED,
                emitter=supplier.name,
                recipient=EMITTER,
                amount=amount,
                issue_date=given.issue_date,
                due_date=given.due_date,
                payment_status=InvoiceStatus.UNPAID,
                supplier_id=supplier.id,
                launch_id=launch_id,
            )
            session.add(invoice)
            await session.flush()
            session.add(Payment(invoice_id=invoice.id, amount=amount, status=MoneyStatus.PENDING))
    except IntegrityError as error:
        if "uq_invoices_received_number" in str(error.orig):
            raise Conflict(
                f"Invoice {number} of this supplier is already recorded.", field="number"
            ) from None
        raise
    return invoice
