"""Launch lifecycle, fees, invoices and supplier isolation over HTTP on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from astro.identity import issue_access_token
from astro.settings import Settings
from subgraphs.admin.invoices import issue_invoice
from subgraphs.admin.jobs import record_booking
from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Database,
    Invoice,
    InvoiceKind,
    Launch,
    LaunchStatus,
    OutboxEvent,
    Refund,
    Spaceport,
)
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import booking_event, make_launch

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

TRANSITION = """
mutation($id: ID!) { confirm: confirmLaunch(id: $id) { id status } }
"""
SUCCEED = "mutation($id: ID!) { markLaunchSuccessful(id: $id) { id status } }"
ABORT = "mutation($id: ID!, $r: String!) { abortLaunch(id: $id, reason: $r) { id status } }"
DELAY = """
mutation($id: ID!, $d: DateTime!, $r: String!) {
  delayLaunch(id: $id, newLaunchDate: $d, reason: $r) {
    status launchDate originalLaunchDate
    statusHistory { fromStatus toStatus reason byUser launchDate }
  }
}
"""


async def test_success_cannot_be_recorded_before_the_launch_date(
    admin: AdminServer, db: Database, account: SupplierAccount, spaceport: Spaceport
) -> None:
    launch = await make_launch(db, account, spaceport, status=LaunchStatus.CONFIRMED)

    reply = await admin.client(SUCCEED, {"id": str(launch.id)}, token=account.token)

    assert reply.codes == ["BAD_USER_INPUT"]
    assert "before its launch date" in reply.errors[0]["message"]


async def test_invalid_transition_names_the_current_state(
    admin: AdminServer, db: Database, account: SupplierAccount, spaceport: Spaceport
) -> None:
    launch = await make_launch(db, account, spaceport)

    reply = await admin.client(SUCCEED, {"id": str(launch.id)}, token=account.token)

    assert reply.codes == ["BAD_USER_INPUT"]
    assert "it is SCHEDULED" in reply.errors[0]["message"]
    assert reply.errors[0]["extensions"]["currentStatus"] == "SCHEDULED"


async def test_delay_keeps_the_original_date_and_records_who_when_why(
    admin: AdminServer, db: Database, account: SupplierAccount, spaceport: Spaceport, rows: Rows
) -> None:
    launch = await make_launch(db, account, spaceport)
    later = (launch.launch_date + timedelta(days=30)).isoformat()
    confirmed = await admin.client(TRANSITION, {"id": str(launch.id)}, token=account.token)
    assert confirmed.data["confirm"]["status"] == "CONFIRMED"

    reply = await admin.client(
        DELAY, {"id": str(launch.id), "d": later, "r": "weather"}, token=account.token
    )

    assert reply.errors == []
    delayed = reply.data["delayLaunch"]
    assert delayed["status"] == "DELAYED"
    assert datetime.fromisoformat(delayed["launchDate"]) == datetime.fromisoformat(later)
    assert datetime.fromisoformat(delayed["originalLaunchDate"]) == launch.launch_date
    last = delayed["statusHistory"][-1]
    assert (last["fromStatus"], last["toStatus"], last["reason"]) == (
        "CONFIRMED",
        "DELAYED",
        "weather",
    )
    assert last["byUser"] == str(account.supplier.user_id)
    [event] = await rows(
        sa.select(OutboxEvent)
        .where(OutboxEvent.payload["launch"]["id"].astext == str(launch.id))
        .order_by(OutboxEvent.id.desc())
        .limit(1)
    )
    assert event.topic == "launch.updated"
    assert event.payload["launch"]["status"] == "DELAYED"
    assert event.payload["launch"]["version"] == 3
    assert datetime.fromisoformat(event.payload["launch"]["launch_date"]) == datetime.fromisoformat(
        later
    )


async def test_aborting_refunds_every_active_booking_in_full(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    launch = await make_launch(db, account, spaceport, price="500.00")
    events = [booking_event(launch, seats=2), booking_event(launch, seats=1)]
    for event in events:
        assert await record_booking(jobs_ctx, event) == "confirmed"

    reply = await admin.client(ABORT, {"id": str(launch.id), "r": "engine"}, token=account.token)

    assert reply.data["abortLaunch"]["status"] == "ABORTED"
    bookings = await rows(sa.select(Booking).where(Booking.launch_id == launch.id))
    assert {(b.status, b.refund_percent, b.cancelled_by) for b in bookings} == {
        (BookingStatus.CANCELLED, 100, "abort")
    }
    refunds = await rows(
        sa.select(Refund.amount).where(Refund.booking_id.in_([b.id for b in bookings]))
    )
    assert sorted(refunds) == [Decimal("500.00"), Decimal("1000.00")]
    [sold] = await rows(sa.select(Launch.seats_sold).where(Launch.id == launch.id))
    assert sold == 0
    [fee] = await rows(
        sa.select(Invoice).where(
            Invoice.launch_id == launch.id, Invoice.kind == InvoiceKind.ABORT_FEE
        )
    )
    assert (fee.amount, fee.supplier_id) == (Decimal("1000.00"), account.supplier.id)
    cancelled = await rows(
        sa.select(OutboxEvent.payload)
        .where(OutboxEvent.topic == "booking.cancelled")
        .where(OutboxEvent.payload["launch_id"].astext == str(launch.id))
    )
    assert {(p["cancelled_by"], p["refund_percent"], p["seats_released"]) for p in cancelled} == {
        ("abort", 100, True)
    }
    again = await admin.client(ABORT, {"id": str(launch.id), "r": "x"}, token=account.token)
    assert "it is ABORTED" in again.errors[0]["message"]


async def _flown(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    days_ago: int,
) -> Invoice:
    launch = await make_launch(
        db,
        account,
        spaceport,
        price="10000.00",
        seats=6,
        launch_date=datetime.now(UTC) + timedelta(days=2),
    )
    assert await record_booking(jobs_ctx, booking_event(launch, seats=3)) == "confirmed"
    async with db.sessions.begin() as session:
        row = await session.get(Launch, launch.id)
        assert row is not None
        row.status = LaunchStatus.CONFIRMED
        row.launch_date = datetime.now(UTC) - timedelta(days=days_ago)
    reply = await admin.client(SUCCEED, {"id": str(launch.id)}, token=account.token)
    assert reply.errors == []
    async with db.sessions() as session:
        fee = await session.scalar(
            sa.select(Invoice).where(
                Invoice.launch_id == launch.id, Invoice.kind == InvoiceKind.LAUNCH_FEE
            )
        )
    assert fee is not None
    return fee


async def test_fee_is_1_percent_until_two_earlier_successes_then_0_8_percent(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
) -> None:
    fees = [await _flown(admin, db, account, spaceport, jobs_ctx, days) for days in (30, 20, 10)]

    # Revenue 3 × 10 000.00 = 30 000.00 each.
    assert [fee.amount for fee in fees] == [
        Decimal("300.00"),
        Decimal("300.00"),
        Decimal("240.00"),
    ]
    assert fees[0].recipient == account.supplier.name


async def test_invoice_numbers_stay_unique_under_concurrent_issuing(db: Database) -> None:
    async def issue() -> str:
        async with db.sessions.begin() as session:
            invoice = await issue_invoice(
                session, kind=InvoiceKind.BOOKING, recipient="x@example.com", amount=Decimal("1")
            )
            return invoice.number

    numbers = await asyncio.gather(*(issue() for _ in range(20)))

    assert len(set(numbers)) == 20
    year = datetime.now(UTC).year
    sequence = sorted(int(number.removeprefix(f"INV-{year}-")) for number in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + 20))


FIGURES = """
query($id: ID!) { launch(id: $id) { id figures { seatsSold seatsLeft revenue belowViabilityThreshold } } }
"""


async def test_a_supplier_never_sees_another_suppliers_ledger_data(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    admin_settings: Settings,
) -> None:
    launch = await make_launch(db, account, spaceport, price="100.00")
    event = booking_event(launch, seats=2)
    await record_booking(jobs_ctx, event)
    other = await new_supplier()
    finance = issue_access_token(
        admin_settings, sub=str(uuid.uuid4()), email="f@example.com", roles=["finance"]
    )

    mine = await admin.client(FIGURES, {"id": str(launch.id)}, token=account.token)
    theirs = await admin.client(FIGURES, {"id": str(launch.id)}, token=other.token)
    finances = await admin.client(FIGURES, {"id": str(launch.id)}, token=finance)
    manifest = await admin.client(
        "query($id: ID!) { launchManifest(launchId: $id) { name } }",
        {"id": str(launch.id)},
        token=other.token,
    )
    booking = await admin.client(
        "query($id: ID!) { ledgerBooking(id: $id) { id } }",
        {"id": event["booking"]["id"]},
        token=other.token,
    )
    listed = await admin.client("{ supplierBookings { nodes { id } } }", token=other.token)

    assert mine.data["launch"]["figures"] == {
        "seatsSold": 2,
        "seatsLeft": 4,
        "revenue": "200.00",
        "belowViabilityThreshold": False,
    }
    assert finances.data["launch"]["figures"]["seatsSold"] == 2
    assert theirs.codes == ["FORBIDDEN"]
    assert manifest.codes == ["FORBIDDEN"]
    assert booking.codes == ["FORBIDDEN"]
    assert listed.data["supplierBookings"]["nodes"] == []


async def test_viability_flag_under_30_percent_three_months_before_launch(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
) -> None:
    soon = await make_launch(
        db, account, spaceport, seats=10, launch_date=datetime.now(UTC) + timedelta(days=80)
    )
    await record_booking(jobs_ctx, booking_event(soon, seats=2))
    enough = await make_launch(
        db, account, spaceport, seats=10, launch_date=datetime.now(UTC) + timedelta(days=80)
    )
    await record_booking(jobs_ctx, booking_event(enough, seats=3))

    flagged = await admin.client(FIGURES, {"id": str(soon.id)}, token=account.token)
    fine = await admin.client(FIGURES, {"id": str(enough.id)}, token=account.token)

    assert flagged.data["launch"]["figures"]["belowViabilityThreshold"] is True
    assert fine.data["launch"]["figures"]["belowViabilityThreshold"] is False


async def test_rocket_with_scheduled_launches_cannot_be_deleted(
    admin: AdminServer, db: Database, account: SupplierAccount, spaceport: Spaceport
) -> None:
    await make_launch(db, account, spaceport)

    reply = await admin.client(
        "mutation($id: ID!) { deleteRocket(id: $id) { id } }",
        {"id": str(account.rocket.id)},
        token=account.token,
    )

    assert reply.codes == ["CONFLICT"]
    assert "scheduled launches" in reply.errors[0]["message"]
