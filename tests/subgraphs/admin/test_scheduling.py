"""scheduleLaunch and addRocket over HTTP, checked against the PostgreSQL ledger."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from astro.identity import issue_access_token
from astro.settings import Settings
from subgraphs.admin.store import (
    Database,
    Launch,
    LaunchStatus,
    LaunchStatusHistory,
    OutboxEvent,
    Rocket,
    Spaceport,
)
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

SCHEDULE = """
mutation Schedule($input: ScheduleLaunchInput!) {
  scheduleLaunch(input: $input) {
    id destination launchDate pricePerSeat status totalSeats slug
    rocket { id name capacity range }
    supplier { id name }
    spaceport { id code name location }
  }
}
"""


def _in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def launch_input(account: SupplierAccount, spaceport: Spaceport, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "rocketId": str(account.rocket.id),
        "spaceportId": str(spaceport.id),
        "destination": f"Mars {uuid.uuid4().hex[:8]}",
        "launchDate": _in_days(400),
        "pricePerSeat": "250000.50",
        "seats": 6,
    }
    values.update(changes)
    return values


async def test_supplier_schedules_a_launch_on_their_own_rocket(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport, rows: Rows
) -> None:
    when = datetime(2031, 3, 14, 9, 30, tzinfo=UTC)
    given = launch_input(account, spaceport, destination="  Olympus Mons  ")
    given["launchDate"] = when.isoformat()

    reply = await admin.client(SCHEDULE, {"input": given}, token=account.token)

    assert reply.errors == []
    launch = reply.data["scheduleLaunch"]
    assert launch["destination"] == "Olympus Mons"
    assert datetime.fromisoformat(launch["launchDate"]) == when
    assert launch["pricePerSeat"] == "250000.50"
    assert launch["status"] == "SCHEDULED"
    assert launch["totalSeats"] == 6
    assert launch["slug"].startswith("olympus-mons-2031-03-14")
    assert launch["rocket"] == {
        "id": str(account.rocket.id),
        "name": account.rocket.name,
        "capacity": 8,
        "range": "LEO",
    }
    assert launch["supplier"] == {"id": str(account.supplier.id), "name": account.supplier.name}
    assert launch["spaceport"]["code"] == spaceport.code
    [row] = await rows(sa.select(Launch).where(Launch.id == uuid.UUID(launch["id"])))
    assert row.price_per_seat == Decimal("250000.50")
    assert row.original_launch_date == row.launch_date == when
    assert (row.status, row.version, row.supplier_id) == (
        LaunchStatus.SCHEDULED,
        1,
        account.supplier.id,
    )


async def test_scheduling_writes_launch_and_outbox_event_atomically(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    db: Database,
    rows: Rows,
) -> None:
    reply = await admin.client(
        SCHEDULE, {"input": launch_input(account, spaceport)}, token=account.token
    )
    launch_id = uuid.UUID(reply.data["scheduleLaunch"]["id"])

    [history] = await rows(
        sa.select(LaunchStatusHistory).where(LaunchStatusHistory.launch_id == launch_id)
    )
    assert (history.from_status, history.to_status) == (None, LaunchStatus.SCHEDULED)
    assert history.by_user == str(account.supplier.user_id)
    [event] = await rows(
        sa.select(OutboxEvent).where(OutboxEvent.payload["launch"]["id"].astext == str(launch_id))
    )
    assert event.topic == "launch.scheduled"
    assert event.payload["event_id"] == str(event.event_id)
    assert event.payload["topic"] == "launch.scheduled"
    launch = event.payload["launch"]
    assert set(launch) == {
        "id",
        "slug",
        "destination",
        "launch_date",
        "price_per_seat",
        "total_seats",
        "seats_sold",
        "status",
        "rocket",
        "supplier",
        "spaceport",
        "version",
    }
    assert datetime.fromisoformat(launch["launch_date"]).tzinfo is not None
    assert (launch["price_per_seat"], launch["total_seats"], launch["seats_sold"]) == (
        "250000.50",
        6,
        0,
    )
    assert (launch["status"], launch["version"]) == ("SCHEDULED", 1)
    assert launch["rocket"] == {
        "id": str(account.rocket.id),
        "name": account.rocket.name,
        "capacity": 8,
        "range": "LEO",
    }
    assert launch["supplier"] == {"id": str(account.supplier.id), "name": account.supplier.name}
    assert launch["spaceport"] == {
        "id": str(spaceport.id),
        "code": spaceport.code,
        "name": spaceport.name,
        "location": spaceport.location,
    }

    # A failure at the last write (the outbox insert, made to fail by a real trigger) leaves
    # neither the launch nor its history behind.
    doomed = f"Doomed {uuid.uuid4().hex[:8]}"
    async with db.sessions.begin() as session:
        await session.execute(
            sa.text(
                "CREATE FUNCTION reject_doomed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.payload->'launch'->>'destination' = '{doomed}' THEN "
                "RAISE EXCEPTION 'outbox unavailable'; END IF; RETURN NEW; END $$"
            )
        )
        await session.execute(
            sa.text(
                "CREATE TRIGGER reject_doomed BEFORE INSERT ON outbox "
                "FOR EACH ROW EXECUTE FUNCTION reject_doomed()"
            )
        )
    try:
        failed = await admin.client(
            SCHEDULE,
            {"input": launch_input(account, spaceport, destination=doomed)},
            token=account.token,
        )
    finally:
        async with db.sessions.begin() as session:
            await session.execute(sa.text("DROP TRIGGER reject_doomed ON outbox"))
            await session.execute(sa.text("DROP FUNCTION reject_doomed()"))

    assert failed.codes == ["INTERNAL_SERVER_ERROR"]
    assert "outbox unavailable" not in failed.errors[0]["message"]
    assert await rows(sa.select(Launch).where(Launch.destination == doomed)) == []
    assert (
        await rows(
            sa.select(LaunchStatusHistory)
            .join(Launch, Launch.id == LaunchStatusHistory.launch_id)
            .where(Launch.destination == doomed)
        )
        == []
    )


async def test_launch_less_than_a_year_ahead_is_rejected(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    admin_settings: Settings,
    rows: Rows,
) -> None:
    given = launch_input(account, spaceport, launchDate=_in_days(admin_settings.min_days_ahead - 1))

    reply = await admin.client(SCHEDULE, {"input": given}, token=account.token)

    assert reply.data is None
    assert reply.codes == ["BAD_USER_INPUT"]
    assert reply.errors[0]["extensions"]["field"] == "launchDate"
    assert f"more than {admin_settings.min_days_ahead} days ahead" in reply.errors[0]["message"]
    assert await rows(sa.select(Launch).where(Launch.destination == given["destination"])) == []


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"pricePerSeat": "0"}, "pricePerSeat", "greater than 0"),
        ({"pricePerSeat": "-10.00"}, "pricePerSeat", "greater than 0"),
        ({"pricePerSeat": "10.005"}, "pricePerSeat", "at most 2 decimal places"),
        ({"seats": 9}, "seats", "capacity"),
        ({"seats": 0}, "seats", "at least 1"),
        ({"destination": "   "}, "destination", "must not be empty"),
        ({"launchDate": "2031-03-14T09:30:00"}, "launchDate", "timezone offset"),
        ({"rocketId": "not-a-uuid"}, "rocketId", "must be a UUID"),
    ],
)
async def test_invalid_launch_input_is_rejected_naming_field_and_rule(
    admin: AdminServer,
    account: SupplierAccount,
    spaceport: Spaceport,
    rows: Rows,
    changes: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    given = launch_input(account, spaceport, **changes)

    reply = await admin.client(SCHEDULE, {"input": given}, token=account.token)

    assert reply.codes == ["BAD_USER_INPUT"]
    assert reply.errors[0]["extensions"]["field"] == field
    assert field in reply.errors[0]["message"]
    assert rule in reply.errors[0]["message"]
    assert await rows(sa.select(Launch).where(Launch.supplier_id == account.supplier.id)) == []


async def test_supplier_cannot_schedule_on_another_suppliers_rocket(
    admin: AdminServer,
    account: SupplierAccount,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
    rows: Rows,
) -> None:
    other = await new_supplier()
    given = launch_input(account, spaceport, rocketId=str(other.rocket.id))

    reply = await admin.client(SCHEDULE, {"input": given}, token=account.token)

    assert reply.codes == ["FORBIDDEN"]
    assert "another supplier" in reply.errors[0]["message"]
    assert await rows(sa.select(Launch).where(Launch.rocket_id == other.rocket.id)) == []
    assert (
        await rows(
            sa.select(OutboxEvent).where(
                OutboxEvent.payload["launch"]["destination"].astext == given["destination"]
            )
        )
        == []
    )


async def test_only_a_supplier_linked_to_the_caller_can_schedule(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport, admin_settings: Settings
) -> None:
    given = {"input": launch_input(account, spaceport)}
    customer = issue_access_token(
        admin_settings, sub=str(uuid.uuid4()), email="c@example.com", roles=["customer"]
    )
    unlinked = issue_access_token(
        admin_settings, sub=str(uuid.uuid4()), email="s@example.com", roles=["supplier"]
    )

    assert (await admin.client(SCHEDULE, given)).codes == ["UNAUTHENTICATED"]
    assert (await admin.client(SCHEDULE, given, token=customer)).codes == ["FORBIDDEN"]
    reply = await admin.client(SCHEDULE, given, token=unlinked)
    assert reply.codes == ["FORBIDDEN"]
    assert "not linked to a supplier" in reply.errors[0]["message"]


async def test_unknown_rocket_or_spaceport_is_not_found(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport
) -> None:
    missing = str(uuid.uuid4())

    no_rocket = await admin.client(
        SCHEDULE, {"input": launch_input(account, spaceport, rocketId=missing)}, token=account.token
    )
    no_port = await admin.client(
        SCHEDULE,
        {"input": launch_input(account, spaceport, spaceportId=missing)},
        token=account.token,
    )

    assert no_rocket.codes == ["NOT_FOUND"]
    assert no_rocket.errors[0]["extensions"]["field"] == "rocketId"
    assert no_port.codes == ["NOT_FOUND"]
    assert no_port.errors[0]["extensions"]["field"] == "spaceportId"


async def test_same_destination_and_day_get_distinct_slugs_even_when_concurrent(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport
) -> None:
    destination = f"Europa {uuid.uuid4().hex[:6]}"
    day = "2032-07-04T12:00:00+00:00"
    given = {"input": launch_input(account, spaceport, destination=destination, launchDate=day)}

    replies = await asyncio.gather(
        *(admin.client(SCHEDULE, given, token=account.token) for _ in range(3))
    )

    assert [reply.errors for reply in replies] == [[], [], []]
    base = f"{destination.lower().replace(' ', '-')}-2032-07-04"
    slugs = sorted(reply.data["scheduleLaunch"]["slug"] for reply in replies)
    assert slugs == [base, f"{base}-2", f"{base}-3"]


ADD_ROCKET = """
mutation Add($input: AddRocketInput!) { addRocket(input: $input) { id name capacity range } }
"""


async def test_supplier_adds_a_rocket_and_bad_capacity_is_rejected(
    admin: AdminServer, account: SupplierAccount, rows: Rows
) -> None:
    added = await admin.client(
        ADD_ROCKET,
        {"input": {"name": "Pathfinder", "capacity": 4, "range": "SUBORBITAL"}},
        token=account.token,
    )
    rejected = await admin.client(
        ADD_ROCKET,
        {"input": {"name": "Ghost", "capacity": 0, "range": "LEO"}},
        token=account.token,
    )

    assert added.errors == []
    rocket = added.data["addRocket"]
    assert (rocket["name"], rocket["capacity"], rocket["range"]) == ("Pathfinder", 4, "SUBORBITAL")
    [row] = await rows(sa.select(Rocket).where(Rocket.id == uuid.UUID(rocket["id"])))
    assert row.supplier_id == account.supplier.id
    assert rejected.codes == ["BAD_USER_INPUT"]
    assert rejected.errors[0]["extensions"]["field"] == "capacity"
    assert await rows(sa.select(Rocket).where(Rocket.name == "Ghost")) == []
