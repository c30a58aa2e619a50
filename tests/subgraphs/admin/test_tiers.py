"""Refund tiers against a delayed launch's current date, and the supplier fee tiers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from astro.refunds import months_before
from subgraphs.admin.jobs import record_booking, record_cancellation
from subgraphs.admin.store import (
    Booking,
    Database,
    Invoice,
    InvoiceKind,
    Launch,
    LaunchStatus,
    Refund,
    Spaceport,
)
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import booking_event, cancel_event, make_launch

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

ORIGINAL = datetime(2031, 3, 15, 10, 0, tzinfo=UTC)
DELAYED_TO = datetime(2032, 5, 31, 15, 0, tzinfo=UTC)  # 3 months before: 2032-02-29 (leap day)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("requested_at", "percent"),
    [
        (months_before(DELAYED_TO, 12), 90),  # 2031-05-31T15:00:00Z, exactly one year
        (months_before(DELAYED_TO, 12) + SECOND, 70),
        (months_before(DELAYED_TO, 3), 70),  # 2032-02-29T15:00:00Z, exactly three months
        (months_before(DELAYED_TO, 3) + SECOND, 0),
        # 0 % against the original date, 90 % against the current one.
        (months_before(ORIGINAL, 3) + SECOND, 90),
    ],
)
async def test_refund_tiers_follow_the_delayed_launchs_current_date_to_the_second(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
    requested_at: datetime,
    percent: int,
) -> None:
    launch = await make_launch(db, account, spaceport, launch_date=ORIGINAL, price="999.99")
    booked = booking_event(launch, seats=2)
    assert await record_booking(jobs_ctx, booked) == "confirmed"
    delayed = await admin.client(
        """mutation($id: ID!, $d: DateTime!) {
             delayLaunch(id: $id, newLaunchDate: $d, reason: "range closed") { status launchDate }
           }""",
        {"id": str(launch.id), "d": DELAYED_TO.isoformat()},
        token=account.token,
    )
    assert delayed.errors == []
    assert delayed.data["delayLaunch"]["status"] == "DELAYED"

    assert await record_cancellation(jobs_ctx, cancel_event(booked, requested_at)) == "cancelled"

    booking_id = uuid.UUID(booked["booking"]["id"])
    [booking] = await rows(sa.select(Booking).where(Booking.id == booking_id))
    assert booking.refund_percent == percent
    refunds = await rows(sa.select(Refund.amount).where(Refund.booking_id == booking_id))
    expected = {90: [Decimal("1799.98")], 70: [Decimal("1399.99")], 0: []}[percent]
    assert refunds == expected  # 1 999.98 × 90 % = 1 799.982; × 70 % = 1 399.986 (half up)
    [sold] = await rows(sa.select(Launch.seats_sold).where(Launch.id == launch.id))
    assert sold == (2 if percent == 0 else 0)


async def _succeed(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    *,
    flown_at: datetime,
    price: str = "333.33",
) -> Decimal:
    """Book 3 seats on a new launch, fly it at ``flown_at`` and mark it successful; its fee."""
    launch = await make_launch(db, account, spaceport, price=price)
    assert await record_booking(jobs_ctx, booking_event(launch, seats=3)) == "confirmed"
    async with db.sessions.begin() as session:
        row = await session.get(Launch, launch.id)
        assert row is not None
        row.status, row.launch_date = LaunchStatus.CONFIRMED, flown_at
    reply = await admin.client(
        "mutation($id: ID!) { markLaunchSuccessful(id: $id) { status } }",
        {"id": str(launch.id)},
        token=account.token,
    )
    assert reply.errors == []
    async with db.sessions() as session:
        fee = await session.scalar(
            sa.select(Invoice.amount).where(
                Invoice.launch_id == launch.id, Invoice.kind == InvoiceKind.LAUNCH_FEE
            )
        )
    assert fee is not None
    return fee


async def test_only_the_suppliers_own_earlier_successes_earn_the_lower_fee(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
) -> None:
    now = datetime.now(UTC)
    flies_at = now - timedelta(days=10)
    # What does not count: a failure, a success flown after this launch, another's successes.
    await make_launch(
        db, account, spaceport, launch_date=now - timedelta(days=40), status=LaunchStatus.FAILED
    )
    await make_launch(
        db, account, spaceport, launch_date=now - timedelta(days=5), status=LaunchStatus.SUCCESSFUL
    )
    other = await new_supplier()
    for days in (50, 60):
        await make_launch(
            db,
            other,
            spaceport,
            launch_date=now - timedelta(days=days),
            status=LaunchStatus.SUCCESSFUL,
        )
    # One earlier success of its own: still 1 % (3 × 333.33 = 999.99 → 9.9999 → 10.00).
    await make_launch(
        db, account, spaceport, launch_date=now - timedelta(days=30), status=LaunchStatus.SUCCESSFUL
    )
    first = await _succeed(admin, db, account, spaceport, jobs_ctx, flown_at=flies_at)
    # Now two earlier successes (the one above and that one): 0.8 % (7.99992 → 8.00).
    second = await _succeed(
        admin, db, account, spaceport, jobs_ctx, flown_at=flies_at + timedelta(days=1)
    )

    assert (first, second) == (Decimal("10.00"), Decimal("8.00"))
