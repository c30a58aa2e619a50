"""Finance reports on a constructed scenario: exact revenue, fees, net, actual vs pending."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from subgraphs.admin.jobs import record_booking
from subgraphs.admin.store import Database, Launch, LaunchStatus, Payment, Refund, Spaceport
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import booking_event, make_launch

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

LAUNCH_REPORT = """
query($s: ID) { launchReport(supplierId: $s) { launchId supplierId supplierName revenue fees net } }
"""
SUPPLIER_REPORT = "{ supplierReport { supplierId supplierName launches revenue fees net } }"
YEAR_REPORT = "query($y: Int!) { yearReport(year: $y) { kind actual pending } }"


async def _year(admin: AdminServer, token: str, year: int) -> dict[str, tuple[Decimal, Decimal]]:
    reply = await admin.client(YEAR_REPORT, {"y": year}, token=token)
    assert reply.errors == []
    return {
        line["kind"]: (Decimal(line["actual"]), Decimal(line["pending"]))
        for line in reply.data["yearReport"]
    }


async def _ok(admin: AdminServer, query: str, variables: dict[str, Any], token: str) -> Any:
    reply = await admin.client(query, variables, token=token)
    assert reply.errors == [], reply.errors
    return reply.data


async def test_reports_give_exact_revenue_fees_net_and_actual_vs_pending(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    finance: str,
) -> None:
    year = datetime.now(UTC).year
    before = await _year(admin, finance, year)
    # Launch A flies: 2 + 1 seats at 1 000.00 (a 4-seat request is rejected: 3 left), the
    # 1-seat booking is cancelled by finance at 70 % → revenue 2 300.00, fee 1 % = 23.00.
    flown = await make_launch(
        db, account, spaceport, seats=6, launch_date=datetime.now(UTC) + timedelta(days=200)
    )
    paid, cancelled, rejected = (booking_event(flown, seats=n) for n in (2, 1, 4))
    assert [await record_booking(jobs_ctx, e) for e in (paid, cancelled, rejected)] == [
        "confirmed",
        "confirmed",
        "rejected",
    ]
    await _ok(
        admin,
        "mutation($id: ID!) { financeCancelBooking(id: $id) { refundPercent } }",
        {"id": cancelled["booking"]["id"]},
        finance,
    )
    async with db.sessions.begin() as session:
        row = await session.get(Launch, flown.id)
        assert row is not None
        row.status, row.launch_date = LaunchStatus.CONFIRMED, datetime.now(UTC) - timedelta(days=1)
    await _ok(
        admin,
        "mutation($id: ID!) { markLaunchSuccessful(id: $id) { status } }",
        {"id": str(flown.id)},
        account.token,
    )
    # Launch B is aborted: 3 seats at 333.33 refunded in full, 1 000.00 abort fee.
    aborted = await make_launch(db, account, spaceport, seats=4, price="333.33")
    assert await record_booking(jobs_ctx, booking_event(aborted, seats=3)) == "confirmed"
    await _ok(
        admin,
        'mutation($id: ID!) { abortLaunch(id: $id, reason: "no demand") { status } }',
        {"id": str(aborted.id)},
        account.token,
    )
    # Settled: the 2-seat booking's payment and the 70 % refund; a 5 000.00 supplier invoice.
    [payment] = await rows(
        sa.select(Payment.id).where(Payment.booking_id == uuid.UUID(paid["booking"]["id"]))
    )
    [refund] = await rows(
        sa.select(Refund.id).where(Refund.booking_id == uuid.UUID(cancelled["booking"]["id"]))
    )
    await _ok(
        admin,
        "mutation($id: ID!) { settlePayment(id: $id, status: COMPLETED) { status } }",
        {"id": str(payment)},
        finance,
    )
    await _ok(
        admin,
        "mutation($id: ID!) { settleRefund(id: $id, status: COMPLETED) { status } }",
        {"id": str(refund)},
        finance,
    )
    today = datetime.now(UTC).date()
    await _ok(
        admin,
        "mutation($i: ReceivedInvoiceInput!) { recordReceivedInvoice(input: $i) { id } }",
        {
            "i": {
                "supplierId": str(account.supplier.id),
                "number": f"R-{uuid.uuid4().hex[:6]}",
                "amount": "5000.00",
                "issueDate": today.isoformat(),
                "dueDate": (today + timedelta(days=15)).isoformat(),
            }
        },
        finance,
    )

    per_launch = await _ok(admin, LAUNCH_REPORT, {"s": str(account.supplier.id)}, finance)
    per_supplier = await _ok(admin, SUPPLIER_REPORT, {}, finance)
    after = await _year(admin, finance, year)

    supplier = {"supplierId": str(account.supplier.id), "supplierName": account.supplier.name}
    assert per_launch["launchReport"] == [
        {
            "launchId": str(flown.id),
            **supplier,
            "revenue": "2300.00",
            "fees": "23.00",
            "net": "2277.00",
        },
        {
            "launchId": str(aborted.id),
            **supplier,
            "revenue": "0.00",
            "fees": "1000.00",
            "net": "-1000.00",
        },
    ]
    [line] = [
        line
        for line in per_supplier["supplierReport"]
        if line["supplierId"] == str(account.supplier.id)
    ]
    assert line == {
        **supplier,
        "launches": 2,
        "revenue": "2300.00",
        "fees": "1023.00",
        "net": "1277.00",
    }
    change = {
        kind: (after[kind][0] - before[kind][0], after[kind][1] - before[kind][1]) for kind in after
    }
    assert change == {
        "BOOKING": (Decimal("2000.00"), Decimal("1999.99")),
        "LAUNCH_FEE": (Decimal("0.00"), Decimal("23.00")),
        "ABORT_FEE": (Decimal("0.00"), Decimal("1000.00")),
        "RECEIVED": (Decimal("0.00"), Decimal("5000.00")),
        "REFUND": (Decimal("700.00"), Decimal("999.99")),
    }


async def test_a_year_without_money_reports_zeros_in_cents(
    admin: AdminServer, finance: str
) -> None:
    reply = await admin.client(YEAR_REPORT, {"y": 1999}, token=finance)

    assert reply.data["yearReport"] == [
        {"kind": kind, "actual": "0.00", "pending": "0.00"}
        for kind in ("BOOKING", "LAUNCH_FEE", "ABORT_FEE", "RECEIVED", "REFUND")
    ]


async def test_reports_are_for_finance_only(
    admin: AdminServer, account: SupplierAccount, customer: str
) -> None:
    for token in (account.token, customer):
        for query, variables in (
            (LAUNCH_REPORT, {"s": str(account.supplier.id)}),
            (SUPPLIER_REPORT, {}),
            (YEAR_REPORT, {"y": 2026}),
        ):
            reply = await admin.client(query, variables, token=token)
            assert reply.codes == ["FORBIDDEN"], (query, reply.body)
            assert reply.data is None
