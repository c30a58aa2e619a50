"""Daily jobs (launch viability, overdue invoices) and a relay that unmapped topics never block."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from astro.contracts.jobs import TOPIC_JOBS
from astro.refunds import months_before
from subgraphs.admin.jobs import (
    BATCH_SIZE,
    check_launch_viability,
    cron_jobs,
    functions,
    mark_overdue_invoices,
    record_booking,
    relay_outbox,
)
from subgraphs.admin.store import Database, Launch, LaunchStatus, OutboxEvent, Spaceport
from subgraphs.admin.viability import flag_launches
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import booking_event, make_launch

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

FLAG = "query($id: ID!) { launch(id: $id) { figures { viabilityFlaggedAt } } }"


async def _flag_events(rows: Rows, launch: Launch) -> list[OutboxEvent]:
    return await rows(
        sa.select(OutboxEvent).where(
            OutboxEvent.topic == "launch.viability_flagged",
            OutboxEvent.payload["launch"]["id"].astext == str(launch.id),
        )
    )


async def _sold(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    *,
    days: int,
    sold: int,
    status: LaunchStatus = LaunchStatus.SCHEDULED,
) -> Launch:
    launch = await make_launch(
        db, account, spaceport, seats=10, launch_date=datetime.now(UTC) + timedelta(days=days)
    )
    if sold:
        assert await record_booking(jobs_ctx, booking_event(launch, seats=sold)) == "confirmed"
    if status is not LaunchStatus.SCHEDULED:
        async with db.sessions.begin() as session:
            row = await session.get(Launch, launch.id)
            assert row is not None
            row.status = status
    return launch


async def test_check_launch_viability_flags_a_launch_under_30_percent_three_months_out_once(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    low = await _sold(db, account, spaceport, jobs_ctx, days=80, sold=2)
    enough = await _sold(db, account, spaceport, jobs_ctx, days=80, sold=3)
    far = await _sold(db, account, spaceport, jobs_ctx, days=200, sold=0)
    aborted = await _sold(
        db, account, spaceport, jobs_ctx, days=80, sold=0, status=LaunchStatus.ABORTED
    )
    [version] = await rows(sa.select(Launch.version).where(Launch.id == low.id))

    flagged = await check_launch_viability(jobs_ctx)
    again = await check_launch_viability(jobs_ctx)

    assert flagged >= 1
    assert again == 0
    stored = {
        row.id: row
        for row in await rows(
            sa.select(Launch).where(Launch.id.in_([low.id, enough.id, far.id, aborted.id]))
        )
    }
    assert stored[low.id].viability_flagged_at is not None
    assert stored[low.id].version == version  # no new catalog snapshot
    assert [stored[launch.id].viability_flagged_at for launch in (enough, far, aborted)] == [
        None,
        None,
        None,
    ]
    [event] = await _flag_events(rows, low)
    assert event.payload["supplier"] == {
        "id": str(account.supplier.id),
        "name": account.supplier.name,
        "contact_email": account.supplier.contact_email,
        "user_id": str(account.supplier.user_id),
    }
    assert {key: event.payload["launch"][key] for key in ("seats_sold", "total_seats")} == {
        "seats_sold": 2,
        "total_seats": 10,
    }
    assert event.payload["threshold_percent"] == 30
    for launch in (enough, far, aborted):
        assert await _flag_events(rows, launch) == []
    seen = await admin.client(FLAG, {"id": str(low.id)}, token=account.token)
    assert seen.data["launch"]["figures"]["viabilityFlaggedAt"] is not None


async def test_a_delay_clears_the_flag_so_the_new_date_is_checked_again(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    low = await _sold(db, account, spaceport, jobs_ctx, days=80, sold=1)
    await check_launch_viability(jobs_ctx)

    delayed = await admin.client(
        """mutation($id: ID!, $d: DateTime!) {
             delayLaunch(id: $id, newLaunchDate: $d, reason: "low demand") { figures {
               viabilityFlaggedAt belowViabilityThreshold } } }""",
        {"id": str(low.id), "d": (datetime.now(UTC) + timedelta(days=300)).isoformat()},
        token=account.token,
    )

    assert delayed.errors == []
    assert delayed.data["delayLaunch"]["figures"] == {
        "viabilityFlaggedAt": None,
        "belowViabilityThreshold": False,
    }
    assert len(await _flag_events(rows, low)) == 1


async def test_viability_counts_three_calendar_months_to_the_second(
    db: Database, account: SupplierAccount, spaceport: Spaceport, rows: Rows
) -> None:
    flies = datetime(2040, 5, 31, 12, 0, tzinfo=UTC)
    boundary = months_before(flies, 3)  # 2040-02-29T12:00:00Z, not 90 days before
    launch = await make_launch(db, account, spaceport, launch_date=flies, seats=6)

    early = await flag_launches(db, boundary - timedelta(seconds=1))
    on_time = await flag_launches(db, boundary)

    assert boundary == datetime(2040, 2, 29, 12, 0, tzinfo=UTC)
    assert launch.id not in early
    assert launch.id in on_time
    [flagged_at] = await rows(sa.select(Launch.viability_flagged_at).where(Launch.id == launch.id))
    assert flagged_at == boundary


async def test_relay_outbox_skips_unmapped_topics_without_blocking_mapped_ones(
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    rows: Rows,
) -> None:
    assert "test.unmapped" not in TOPIC_JOBS
    async with db.sessions.begin() as session:
        # More unmapped events than a batch holds, all older than the mapped one.
        unmapped = [
            OutboxEvent(event_id=uuid.uuid4(), topic="test.unmapped", payload={"n": n})
            for n in range(BATCH_SIZE + 1)
        ]
        session.add_all(unmapped)
    launch = await make_launch(db, account, spaceport)
    [scheduled] = await rows(
        sa.select(OutboxEvent).where(
            OutboxEvent.topic == "launch.scheduled",
            OutboxEvent.payload["launch"]["id"].astext == str(launch.id),
        )
    )

    await relay_outbox(jobs_ctx)

    [published] = await rows(
        sa.select(OutboxEvent.published_at).where(OutboxEvent.id == scheduled.id)
    )
    still_waiting = await rows(
        sa.select(OutboxEvent.published_at).where(
            OutboxEvent.event_id.in_([event.event_id for event in unmapped])
        )
    )
    assert published is not None
    assert still_waiting == [None] * (BATCH_SIZE + 1)


def test_viability_and_overdue_checks_run_daily() -> None:
    by_name = {job.name: job for job in cron_jobs}
    for name, coroutine in (
        ("admin:check_launch_viability", check_launch_viability),
        ("admin:mark_overdue_invoices", mark_overdue_invoices),
    ):
        job = by_name[name]
        assert job.coroutine is coroutine
        assert coroutine in functions
        # One hour and one minute of every day (arq's defaults would mean every minute).
        assert (len(job.hour), len(job.minute)) == (1, 1)  # type: ignore[arg-type]
        assert (job.month, job.day, job.weekday) == (None, None, None)
