"""Finance over HTTP on real PostgreSQL: cancelling for a customer, payments, refunds, invoices."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from subgraphs.admin.invoices import issue_invoice
from subgraphs.admin.jobs import mark_overdue_invoices, record_booking
from subgraphs.admin.store import (
    Booking,
    Database,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Launch,
    OutboxEvent,
    Payment,
    Refund,
    Spaceport,
)
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import (
    booking_event,
    expected_launch,
    expected_supplier,
    make_launch,
)

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

CANCEL = """
mutation($id: ID!) {
  financeCancelBooking(id: $id) {
    id status cancelledBy refundPercent cancelledAt refund { amount percent status }
  }
}
"""
SETTLE_PAYMENT = """
mutation($id: ID!, $s: MoneyStatus!) {
  settlePayment(id: $id, status: $s) { id invoiceId amount status processedAt }
}
"""
RETRY_PAYMENT = """
mutation($id: ID!) { retryPayment(invoiceId: $id) { id invoiceId amount status } }
"""
SETTLE_REFUND = """
mutation($id: ID!, $s: MoneyStatus!) {
  settleRefund(id: $id, status: $s) { id amount status processedAt }
}
"""
INVOICE = """
query($id: ID!) {
  invoice(id: $id) { id number kind emitter recipient amount paymentStatus paidAt dueDate }
}
"""
BOOKING_MONEY = """
query($id: ID!) { ledgerBooking(id: $id) { paymentStatus invoice { id paymentStatus } } }
"""


async def _book(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    *,
    days_ahead: int = 400,
    seats: int = 2,
    price: str = "1000.00",
) -> tuple[Launch, str]:
    launch = await make_launch(
        db,
        account,
        spaceport,
        price=price,
        launch_date=datetime.now(UTC) + timedelta(days=days_ahead),
    )
    event = booking_event(launch, seats=seats)
    assert await record_booking(jobs_ctx, event) == "confirmed"
    booking_id: str = event["booking"]["id"]
    return launch, booking_id


async def _payment_of(rows: Rows, booking_id: str) -> Payment:
    [payment] = await rows(sa.select(Payment).where(Payment.booking_id == uuid.UUID(booking_id)))
    assert isinstance(payment, Payment)
    return payment


@pytest.mark.parametrize(
    ("days_ahead", "percent", "refund", "seats_sold_after"),
    [(400, 90, "1800.00", 0), (200, 70, "1400.00", 0), (60, 0, None, 2)],
)
async def test_finance_cancels_a_booking_with_the_customers_refund_tiers(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
    days_ahead: int,
    percent: int,
    refund: str | None,
    seats_sold_after: int,
) -> None:
    launch, booking_id = await _book(db, account, spaceport, jobs_ctx, days_ahead=days_ahead)

    reply = await admin.client(CANCEL, {"id": booking_id}, token=finance)

    assert reply.errors == []
    cancelled = reply.data["financeCancelBooking"]
    assert (cancelled["status"], cancelled["cancelledBy"], cancelled["refundPercent"]) == (
        "CANCELLED",
        "finance",
        percent,
    )
    if refund is None:
        assert cancelled["refund"] is None
    else:
        assert cancelled["refund"] == {"amount": refund, "percent": percent, "status": "PENDING"}
    [sold] = await rows(sa.select(Launch.seats_sold).where(Launch.id == launch.id))
    assert sold == seats_sold_after
    [event] = await rows(
        sa.select(OutboxEvent).where(
            OutboxEvent.topic == "booking.cancelled",
            OutboxEvent.payload["booking_id"].astext == booking_id,
        )
    )
    customer = event.payload.pop("customer")
    assert event.payload == {
        "contract_version": 1,
        "event_id": str(event.event_id),
        "topic": "booking.cancelled",
        "booking_id": booking_id,
        "launch_id": str(launch.id),
        "seats": 2,
        "seats_released": seats_sold_after == 0,
        "refund_percent": percent,
        "refund_amount": refund or "0.00",
        "cancelled_by": "finance",
        "launch": expected_launch(launch),
        "supplier": expected_supplier(account),
    }
    assert customer["email"].endswith("@customers.example")


async def test_finance_cannot_cancel_twice_nor_an_unknown_booking_and_others_cannot_at_all(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
    customer: str,
) -> None:
    _launch, booking_id = await _book(db, account, spaceport, jobs_ctx)

    as_supplier = await admin.client(CANCEL, {"id": booking_id}, token=account.token)
    as_customer = await admin.client(CANCEL, {"id": booking_id}, token=customer)
    first = await admin.client(CANCEL, {"id": booking_id}, token=finance)
    again = await admin.client(CANCEL, {"id": booking_id}, token=finance)
    unknown = await admin.client(CANCEL, {"id": str(uuid.uuid4())}, token=finance)

    assert as_supplier.codes == ["FORBIDDEN"]
    assert as_customer.codes == ["FORBIDDEN"]
    assert first.errors == []
    assert again.codes == ["CONFLICT"]
    assert again.errors[0]["extensions"]["currentStatus"] == "CANCELLED"
    assert unknown.codes == ["NOT_FOUND"]
    refunds = await rows(sa.select(Refund).where(Refund.booking_id == uuid.UUID(booking_id)))
    assert len(refunds) == 1


async def test_completed_payment_marks_the_invoice_paid_and_cannot_be_settled_again(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    _launch, booking_id = await _book(db, account, spaceport, jobs_ctx)
    payment = await _payment_of(rows, booking_id)

    settled = await admin.client(
        SETTLE_PAYMENT, {"id": str(payment.id), "s": "COMPLETED"}, token=finance
    )
    again = await admin.client(
        SETTLE_PAYMENT, {"id": str(payment.id), "s": "FAILED"}, token=finance
    )
    retried = await admin.client(RETRY_PAYMENT, {"id": str(payment.invoice_id)}, token=finance)
    invoice = await admin.client(INVOICE, {"id": str(payment.invoice_id)}, token=finance)
    booking = await admin.client(BOOKING_MONEY, {"id": booking_id}, token=finance)

    assert settled.errors == []
    assert settled.data["settlePayment"]["status"] == "COMPLETED"
    assert settled.data["settlePayment"]["amount"] == "2000.00"
    assert settled.data["settlePayment"]["processedAt"] is not None
    assert again.codes == ["CONFLICT"]
    assert again.errors[0]["extensions"]["currentStatus"] == "COMPLETED"
    assert retried.codes == ["CONFLICT"]
    assert invoice.data["invoice"]["paymentStatus"] == "PAID"
    assert invoice.data["invoice"]["paidAt"] is not None
    assert booking.data["ledgerBooking"] == {
        "paymentStatus": "COMPLETED",
        "invoice": {"id": str(payment.invoice_id), "paymentStatus": "PAID"},
    }


async def test_failed_payment_leaves_the_invoice_unpaid_until_a_retried_one_completes(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    _launch, booking_id = await _book(db, account, spaceport, jobs_ctx, price="1234.56")
    payment = await _payment_of(rows, booking_id)
    invoice_id = str(payment.invoice_id)

    pending_retry = await admin.client(RETRY_PAYMENT, {"id": invoice_id}, token=finance)
    failed = await admin.client(
        SETTLE_PAYMENT, {"id": str(payment.id), "s": "FAILED"}, token=finance
    )
    after_failure = await admin.client(INVOICE, {"id": invoice_id}, token=finance)
    retried = await admin.client(RETRY_PAYMENT, {"id": invoice_id}, token=finance)
    booking = await admin.client(BOOKING_MONEY, {"id": booking_id}, token=finance)
    new_id = retried.data["retryPayment"]["id"]
    completed = await admin.client(SETTLE_PAYMENT, {"id": new_id, "s": "COMPLETED"}, token=finance)
    after_retry = await admin.client(INVOICE, {"id": invoice_id}, token=finance)

    assert pending_retry.codes == ["CONFLICT"]
    assert failed.data["settlePayment"]["status"] == "FAILED"
    assert after_failure.data["invoice"]["paymentStatus"] == "UNPAID"
    assert retried.data["retryPayment"] == {
        "id": new_id,
        "invoiceId": invoice_id,
        "amount": "2469.12",
        "status": "PENDING",
    }
    assert new_id != str(payment.id)
    assert booking.data["ledgerBooking"]["paymentStatus"] == "PENDING"
    assert completed.data["settlePayment"]["status"] == "COMPLETED"
    assert after_retry.data["invoice"]["paymentStatus"] == "PAID"


async def test_settling_needs_a_final_status_a_known_record_and_finance(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    _launch, booking_id = await _book(db, account, spaceport, jobs_ctx)
    payment = await _payment_of(rows, booking_id)

    to_pending = await admin.client(
        SETTLE_PAYMENT, {"id": str(payment.id), "s": "PENDING"}, token=finance
    )
    unknown = await admin.client(
        SETTLE_PAYMENT, {"id": str(uuid.uuid4()), "s": "COMPLETED"}, token=finance
    )
    malformed = await admin.client(
        SETTLE_PAYMENT, {"id": "payment-1", "s": "COMPLETED"}, token=finance
    )
    unknown_refund = await admin.client(
        SETTLE_REFUND, {"id": str(uuid.uuid4()), "s": "COMPLETED"}, token=finance
    )
    unknown_invoice = await admin.client(RETRY_PAYMENT, {"id": str(uuid.uuid4())}, token=finance)
    as_supplier = await admin.client(
        SETTLE_PAYMENT, {"id": str(payment.id), "s": "COMPLETED"}, token=account.token
    )

    assert to_pending.codes == ["BAD_USER_INPUT"]
    assert "COMPLETED or FAILED" in to_pending.errors[0]["message"]
    assert unknown.codes == ["NOT_FOUND"]
    assert malformed.codes == ["BAD_USER_INPUT"]
    assert unknown_refund.codes == ["NOT_FOUND"]
    assert unknown_invoice.codes == ["NOT_FOUND"]
    assert as_supplier.codes == ["FORBIDDEN"]
    assert (await _payment_of(rows, booking_id)).status.value == "PENDING"


async def test_refunds_are_settled_once_and_count_in_the_money_collected(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    launch, kept = await _book(db, account, spaceport, jobs_ctx, seats=1)
    refunded = booking_event(launch, seats=2)
    failed = booking_event(launch, seats=1)
    for event in (refunded, failed):
        assert await record_booking(jobs_ctx, event) == "confirmed"
    for booking_id in (kept, refunded["booking"]["id"]):
        payment = await _payment_of(rows, booking_id)
        reply = await admin.client(
            SETTLE_PAYMENT, {"id": str(payment.id), "s": "COMPLETED"}, token=finance
        )
        assert reply.errors == []
    cancels = [
        await admin.client(CANCEL, {"id": event["booking"]["id"]}, token=finance)
        for event in (refunded, failed)
    ]
    assert [reply.errors for reply in cancels] == [[], []]
    refund_ids = {
        str(row.booking_id): str(row.id)
        for row in await rows(
            sa.select(Refund).where(
                Refund.booking_id.in_(
                    [
                        uuid.UUID(refunded["booking"]["id"]),
                        uuid.UUID(failed["booking"]["id"]),
                    ]
                )
            )
        )
    }

    done = await admin.client(
        SETTLE_REFUND,
        {"id": refund_ids[refunded["booking"]["id"]], "s": "COMPLETED"},
        token=finance,
    )
    not_done = await admin.client(
        SETTLE_REFUND, {"id": refund_ids[failed["booking"]["id"]], "s": "FAILED"}, token=finance
    )
    again = await admin.client(
        SETTLE_REFUND, {"id": refund_ids[refunded["booking"]["id"]], "s": "FAILED"}, token=finance
    )
    figures = await admin.client(
        "query($id: ID!) { launch(id: $id) { figures { revenue collected } } }",
        {"id": str(launch.id)},
        token=finance,
    )

    assert done.data["settleRefund"]["status"] == "COMPLETED"
    assert done.data["settleRefund"]["amount"] == "1800.00"  # 90 % of 2 × 1000.00
    assert done.data["settleRefund"]["processedAt"] is not None
    assert not_done.data["settleRefund"]["status"] == "FAILED"
    assert again.codes == ["CONFLICT"]
    assert again.errors[0]["extensions"]["currentStatus"] == "COMPLETED"
    # Revenue: 4 seats × 1000.00 booked − 1800.00 − 900.00 refunded (settled or not).
    # Collected: 1000.00 + 2000.00 paid − 1800.00 paid back.
    assert figures.data["launch"]["figures"] == {"revenue": "1300.00", "collected": "1200.00"}


RECORD = """
mutation($input: ReceivedInvoiceInput!) {
  recordReceivedInvoice(input: $input) {
    id number kind emitter recipient amount issueDate dueDate paymentStatus supplierId launchId
  }
}
"""


def _received(account: SupplierAccount, number: str, **changes: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "supplierId": str(account.supplier.id),
        "number": number,
        "amount": "5000.00",
        "issueDate": today.isoformat(),
        "dueDate": (today + timedelta(days=30)).isoformat(),
        **changes,
    }


async def test_finance_records_an_invoice_received_from_a_supplier_once(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
    rows: Rows,
    finance: str,
) -> None:
    launch = await make_launch(db, account, spaceport)
    other = await new_supplier()
    given = _received(account, "OH-2026-17", launchId=str(launch.id))

    recorded = await admin.client(RECORD, {"input": given}, token=finance)
    duplicate = await admin.client(RECORD, {"input": given}, token=finance)
    same_number_elsewhere = await admin.client(
        RECORD, {"input": _received(other, "OH-2026-17")}, token=finance
    )
    due_before_issue = await admin.client(
        RECORD,
        {"input": _received(account, "OH-2026-18", dueDate=date(2020, 1, 1).isoformat())},
        token=finance,
    )
    unknown_supplier = await admin.client(
        RECORD, {"input": _received(account, "X-1", supplierId=str(uuid.uuid4()))}, token=finance
    )
    as_supplier = await admin.client(
        RECORD, {"input": _received(account, "OH-2026-19")}, token=account.token
    )

    assert recorded.errors == []
    invoice = recorded.data["recordReceivedInvoice"]
    assert {key: invoice[key] for key in invoice if key not in {"id", "issueDate", "dueDate"}} == {
        "number": "OH-2026-17",
        "kind": "RECEIVED",
        "emitter": account.supplier.name,
        "recipient": "AstroBookings",
        "amount": "5000.00",
        "paymentStatus": "UNPAID",
        "supplierId": str(account.supplier.id),
        "launchId": str(launch.id),
    }
    [payment] = await rows(sa.select(Payment).where(Payment.invoice_id == uuid.UUID(invoice["id"])))
    assert (payment.amount, payment.status.value) == (Decimal("5000.00"), "PENDING")
    assert duplicate.codes == ["CONFLICT"]
    assert same_number_elsewhere.errors == []
    assert due_before_issue.codes == ["BAD_USER_INPUT"]
    assert unknown_supplier.codes == ["NOT_FOUND"]
    assert as_supplier.codes == ["FORBIDDEN"]


async def test_invoice_by_id_is_for_finance_and_unknown_ones_are_not_found(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    _launch, booking_id = await _book(db, account, spaceport, jobs_ctx)
    [invoice] = await rows(sa.select(Invoice).where(Invoice.booking_id == uuid.UUID(booking_id)))

    found = await admin.client(INVOICE, {"id": str(invoice.id)}, token=finance)
    unknown = await admin.client(INVOICE, {"id": str(uuid.uuid4())}, token=finance)
    as_supplier = await admin.client(INVOICE, {"id": str(invoice.id)}, token=account.token)

    assert found.data["invoice"] == {
        "id": str(invoice.id),
        "number": invoice.number,
        "kind": "BOOKING",
        "emitter": "AstroBookings",
        "recipient": invoice.recipient,
        "amount": "2000.00",
        "paymentStatus": "UNPAID",
        "paidAt": None,
        "dueDate": (invoice.issue_date + timedelta(days=30)).isoformat(),
    }
    assert unknown.codes == ["NOT_FOUND"]
    assert as_supplier.codes == ["FORBIDDEN"]
    assert as_supplier.data is None


async def _issued(db: Database, account: SupplierAccount, issued: date) -> Invoice:
    async with db.sessions.begin() as session:
        return await issue_invoice(
            session,
            kind=InvoiceKind.BOOKING,
            recipient="late@customers.example",
            amount=Decimal("10.00"),
            supplier_id=account.supplier.id,
            today=issued,
        )


OVERDUE_LIST = """
query($supplier: ID!, $status: InvoiceStatus!) {
  invoices(supplierId: $supplier, paymentStatus: $status) { nodes { id paymentStatus } }
}
"""


async def test_unpaid_invoices_past_their_due_date_become_overdue(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    today = datetime.now(UTC).date()
    late = await _issued(db, account, today - timedelta(days=31))  # due yesterday
    due_today = await _issued(db, account, today - timedelta(days=30))
    paid = await _issued(db, account, today - timedelta(days=60))
    [paid_payment] = await rows(sa.select(Payment).where(Payment.invoice_id == paid.id))
    reply = await admin.client(
        SETTLE_PAYMENT, {"id": str(paid_payment.id), "s": "COMPLETED"}, token=finance
    )
    assert reply.errors == []
    variables = {"supplier": str(account.supplier.id)}

    # Shown OVERDUE from the day after the due date, before the daily job has run.
    before_job = await admin.client(OVERDUE_LIST, variables | {"status": "OVERDUE"}, token=finance)
    marked = await mark_overdue_invoices(jobs_ctx)
    again = await mark_overdue_invoices(jobs_ctx)
    stored = {
        row.id: row.payment_status
        for row in await rows(
            sa.select(Invoice).where(Invoice.id.in_([late.id, due_today.id, paid.id]))
        )
    }
    overdue = await admin.client(OVERDUE_LIST, variables | {"status": "OVERDUE"}, token=finance)
    unpaid = await admin.client(OVERDUE_LIST, variables | {"status": "UNPAID"}, token=finance)
    [late_payment] = await rows(sa.select(Payment).where(Payment.invoice_id == late.id))
    settled = await admin.client(
        SETTLE_PAYMENT, {"id": str(late_payment.id), "s": "COMPLETED"}, token=finance
    )
    after_payment = await admin.client(INVOICE, {"id": str(late.id)}, token=finance)

    late_node = {"id": str(late.id), "paymentStatus": "OVERDUE"}
    assert before_job.data["invoices"]["nodes"] == [late_node]
    assert marked >= 1
    assert again == 0
    assert stored == {
        late.id: InvoiceStatus.OVERDUE,
        due_today.id: InvoiceStatus.UNPAID,
        paid.id: InvoiceStatus.PAID,
    }
    assert overdue.data["invoices"]["nodes"] == [late_node]
    assert unpaid.data["invoices"]["nodes"] == [
        {"id": str(due_today.id), "paymentStatus": "UNPAID"}
    ]
    assert settled.errors == []
    assert after_payment.data["invoice"]["paymentStatus"] == "PAID"


async def test_booking_invoice_and_payment_status_of_a_rejected_booking_are_null(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    launch = await make_launch(db, account, spaceport, seats=1)
    event = booking_event(launch, seats=2)
    assert await record_booking(jobs_ctx, event) == "rejected"

    reply = await admin.client(BOOKING_MONEY, {"id": event["booking"]["id"]}, token=finance)

    assert reply.data["ledgerBooking"] == {"paymentStatus": None, "invoice": None}
    [booking] = await rows(sa.select(Booking).where(Booking.launch_id == launch.id))
    assert booking.status.value == "REJECTED"
