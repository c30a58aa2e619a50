"""Cursor connections (first/after, pageInfo, bad cursors) and supplier isolation on every
supplier-facing query and mutation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from subgraphs.admin.invoices import issue_invoice
from subgraphs.admin.jobs import record_booking
from subgraphs.admin.store import (
    Booking,
    BookingStatus,
    Database,
    InvoiceKind,
    Launch,
    LaunchStatus,
    LaunchStatusHistory,
    Rocket,
    Spaceport,
    Supplier,
)
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import booking_event, make_launch

Rows = Callable[[sa.Select[Any]], Awaitable[list[Any]]]

OWN_PAGE = """
query($first: Int!, $after: String) {
  supplierLaunchPage(first: $first, after: $after) {
    nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""


async def _walk(
    admin: AdminServer, query: str, field: str, variables: dict[str, Any], token: str
) -> list[tuple[list[str], bool, str | None]]:
    """Every page of ``field``, following endCursor until hasNextPage is false."""
    pages: list[tuple[list[str], bool, str | None]] = []
    after: str | None = None
    while True:
        reply = await admin.client(query, variables | {"after": after}, token=token)
        assert reply.errors == [], reply.errors
        connection = reply.data[field]
        info = connection["pageInfo"]
        pages.append(
            ([node["id"] for node in connection["nodes"]], info["hasNextPage"], info["endCursor"])
        )
        if not info["hasNextPage"]:
            return pages
        after = info["endCursor"]
        assert len(pages) < 10


async def test_supplier_launch_page_walks_soonest_first_in_pages_of_first(
    admin: AdminServer, db: Database, account: SupplierAccount, spaceport: Spaceport
) -> None:
    start = datetime.now(UTC) + timedelta(days=400)
    launches = [
        await make_launch(db, account, spaceport, launch_date=start + timedelta(days=n))
        for n in (4, 0, 3, 1, 2)
    ]
    soonest_first = [str(launch.id) for launch in sorted(launches, key=lambda x: x.launch_date)]

    pages = await _walk(admin, OWN_PAGE, "supplierLaunchPage", {"first": 2}, account.token)
    past_the_end = await admin.client(
        OWN_PAGE, {"first": 2, "after": pages[-1][2]}, token=account.token
    )

    assert [ids for ids, _, _ in pages] == [
        soonest_first[0:2],
        soonest_first[2:4],
        soonest_first[4:5],
    ]
    assert [more for _, more, _ in pages] == [True, True, False]
    assert all(cursor for _, _, cursor in pages)
    assert past_the_end.data["supplierLaunchPage"] == {
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_booking_and_invoice_pages_are_newest_first_and_finance_filters_by_supplier(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    finance: str,
) -> None:
    launch = await make_launch(db, account, spaceport, seats=6)
    events = [booking_event(launch) for _ in range(3)]
    for event in events:
        assert await record_booking(jobs_ctx, event) == "confirmed"
    newest_first = [event["booking"]["id"] for event in reversed(events)]
    invoice_ids = []
    for _ in range(3):
        async with db.sessions.begin() as session:
            invoice = await issue_invoice(
                session,
                kind=InvoiceKind.LAUNCH_FEE,
                recipient=account.supplier.name,
                amount=Decimal("12.34"),
                supplier_id=account.supplier.id,
            )
            invoice_ids.append(str(invoice.id))
    other_launch = await make_launch(db, account, spaceport)

    own_bookings = await _walk(
        admin,
        """query($after: String) { supplierBookings(first: 2, after: $after) {
             nodes { id } pageInfo { hasNextPage endCursor } } }""",
        "supplierBookings",
        {},
        account.token,
    )
    finance_bookings = await _walk(
        admin,
        """query($l: ID!, $after: String) { ledgerBookings(launchId: $l, first: 2, after: $after) {
             nodes { id } pageInfo { hasNextPage endCursor } } }""",
        "ledgerBookings",
        {"l": str(launch.id)},
        finance,
    )
    invoices = await _walk(
        admin,
        """query($s: ID!, $after: String) {
             invoices(supplierId: $s, kind: LAUNCH_FEE, first: 2, after: $after) {
               nodes { id } pageInfo { hasNextPage endCursor } } }""",
        "invoices",
        {"s": str(account.supplier.id)},
        finance,
    )
    launches = await _walk(
        admin,
        """query($s: ID!, $after: String) { financeLaunches(supplierId: $s, first: 1, after: $after) {
             nodes { id } pageInfo { hasNextPage endCursor } } }""",
        "financeLaunches",
        {"s": str(account.supplier.id)},
        finance,
    )

    for pages, expected in (
        (own_bookings, newest_first),
        (finance_bookings, newest_first),
        (invoices, list(reversed(invoice_ids))),
    ):
        assert [ids for ids, _, _ in pages] == [expected[0:2], expected[2:3]]
        assert [more for _, more, _ in pages] == [True, False]
    assert [ids for ids, _, _ in launches] == [[str(launch.id)], [str(other_launch.id)]]


@pytest.mark.parametrize(
    "field",
    [
        "supplierLaunchPage",
        "supplierBookings",
        "financeLaunches",
        "ledgerBookings",
        "invoices",
        "payments",
        "refunds",
    ],
)
@pytest.mark.parametrize("cursor", ["not-a-cursor", "bm90IGEgY3Vyc29y", "", "%%%"])
async def test_a_cursor_not_returned_by_the_list_is_bad_user_input(
    admin: AdminServer, account: SupplierAccount, finance: str, field: str, cursor: str
) -> None:
    token = account.token if field.startswith("supplier") else finance

    reply = await admin.client(
        f"query($a: String) {{ {field}(after: $a) {{ nodes {{ id }} }} }}",
        {"a": cursor},
        token=token,
    )

    assert reply.codes == ["BAD_USER_INPUT"], reply.body
    assert reply.errors[0]["extensions"]["field"] == "after"
    assert "endCursor" in reply.errors[0]["message"]


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_outside_1_to_100_is_bad_user_input(
    admin: AdminServer, finance: str, first: int
) -> None:
    reply = await admin.client(
        "query($f: Int!) { invoices(first: $f) { nodes { id } } }", {"f": first}, token=finance
    )

    assert reply.codes == ["BAD_USER_INPUT"]
    assert reply.errors[0]["extensions"]["field"] == "first"


@dataclass
class Victim:
    """A supplier's launch with a confirmed booking, and another supplier probing it."""

    owner: SupplierAccount
    other: SupplierAccount
    launch: Launch
    booking_id: str
    spaceport: Spaceport


@pytest.fixture
async def victim(
    db: Database,
    account: SupplierAccount,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
) -> Victim:
    launch = await make_launch(db, account, spaceport)
    event = booking_event(launch, seats=2)
    assert await record_booking(jobs_ctx, event) == "confirmed"
    async with db.sessions.begin() as session:
        row = await session.get(Launch, launch.id)
        assert row is not None
        row.status, row.launch_date = LaunchStatus.CONFIRMED, datetime.now(UTC) - timedelta(days=1)
    # CONFIRMED and past its date: every lifecycle move would be open to its owner.
    return Victim(account, await new_supplier(), launch, event["booking"]["id"], spaceport)


def _refused(victim: Victim) -> list[tuple[str, dict[str, Any]]]:
    launch, rocket = str(victim.launch.id), str(victim.owner.rocket.id)
    later = (datetime.now(UTC) + timedelta(days=900)).isoformat()
    return [
        ("query($l: ID!) { launch(id: $l) { figures { seatsSold revenue } } }", {"l": launch}),
        ("query($l: ID!) { launch(id: $l) { statusHistory { toStatus } } }", {"l": launch}),
        ("query($l: ID!) { launchManifest(launchId: $l) { name } }", {"l": launch}),
        ("query($b: ID!) { ledgerBooking(id: $b) { id customerEmail } }", {"b": victim.booking_id}),
        (
            """query($r: [_Any!]!) { _entities(representations: $r) {
                 ... on Supplier { taxId legalAddress contactEmail } } }""",
            {"r": [{"__typename": "Supplier", "id": str(victim.owner.supplier.id)}]},
        ),
        ("{ financeLaunches { nodes { id } } }", {}),
        ("query($l: ID!) { ledgerBookings(launchId: $l) { nodes { id } } }", {"l": launch}),
        (
            "query($s: ID!) { invoices(supplierId: $s) { nodes { id } } }",
            {"s": str(victim.owner.supplier.id)},
        ),
        (
            "query($s: ID!) { launchReport(supplierId: $s) { revenue } }",
            {"s": str(victim.owner.supplier.id)},
        ),
        ("mutation($l: ID!) { confirmLaunch(id: $l) { status } }", {"l": launch}),
        (
            "mutation($l: ID!, $d: DateTime!) { delayLaunch(id: $l, newLaunchDate: $d, "
            'reason: "x") { status } }',
            {"l": launch, "d": later},
        ),
        ('mutation($l: ID!) { abortLaunch(id: $l, reason: "x") { status } }', {"l": launch}),
        ("mutation($l: ID!) { markLaunchSuccessful(id: $l) { status } }", {"l": launch}),
        ("mutation($l: ID!) { markLaunchFailed(id: $l) { status } }", {"l": launch}),
        (
            'mutation($l: ID!) { updateLaunch(id: $l, input: {destination: "Mine"}) { id } }',
            {"l": launch},
        ),
        (
            'mutation($r: ID!) { updateRocket(id: $r, input: {name: "Mine"}) { id } }',
            {"r": rocket},
        ),
        ("mutation($r: ID!) { deleteRocket(id: $r) { id } }", {"r": rocket}),
        (
            "mutation($i: ScheduleLaunchInput!) { scheduleLaunch(input: $i) { id } }",
            {
                "i": {
                    "rocketId": rocket,
                    "spaceportId": str(victim.spaceport.id),
                    "destination": "Moon",
                    "launchDate": later,
                    "pricePerSeat": "100.00",
                    "seats": 1,
                }
            },
        ),
    ]


OPERATIONS = 18


async def test_another_supplier_is_refused_every_query_and_mutation_on_a_suppliers_data(
    admin: AdminServer, victim: Victim, rows: Rows
) -> None:
    refused = _refused(victim)
    assert len(refused) == OPERATIONS
    [version] = await rows(sa.select(Launch.version).where(Launch.id == victim.launch.id))

    replies = [
        await admin.client(query, variables, token=victim.other.token)
        for query, variables in refused
    ]

    for (query, _), reply in zip(refused, replies, strict=True):
        assert reply.codes and set(reply.codes) <= {"FORBIDDEN", "NOT_FOUND"}, (query, reply.body)
        # Null, or a list of nulls (entities): not one field of the other supplier's data.
        data = reply.data or {}
        assert all(value in (None, [None]) for value in data.values()), (query, reply.body)
    [launch] = await rows(sa.select(Launch).where(Launch.id == victim.launch.id))
    assert (launch.status, launch.version, launch.destination) == (
        LaunchStatus.CONFIRMED,
        version,
        victim.launch.destination,
    )
    history = await rows(
        sa.select(LaunchStatusHistory).where(LaunchStatusHistory.launch_id == launch.id)
    )
    assert len(history) == 1
    [rocket] = await rows(sa.select(Rocket).where(Rocket.id == victim.owner.rocket.id))
    assert (rocket.name, rocket.deleted_at) == (victim.owner.rocket.name, None)
    [booking] = await rows(sa.select(Booking).where(Booking.id == uuid.UUID(victim.booking_id)))
    assert booking.status is BookingStatus.CONFIRMED
    launches_of_owner = await rows(
        sa.select(Launch.id).where(Launch.supplier_id == victim.owner.supplier.id)
    )
    assert launches_of_owner == [launch.id]


async def test_a_suppliers_own_lists_never_show_another_suppliers_rows(
    admin: AdminServer, victim: Victim, rows: Rows
) -> None:
    query = """
    query($l: ID!) {
      supplierLaunches { id }
      supplierLaunchPage { nodes { id } }
      supplierBookings { nodes { id } }
      filtered: supplierBookings(launchId: $l) { nodes { id } }
      rockets { id }
      mySupplier { id taxId }
    }
    """
    variables = {"l": str(victim.launch.id)}

    theirs = await admin.client(query, variables, token=victim.other.token)
    mine = await admin.client(query, variables, token=victim.owner.token)
    profile = await admin.client(
        'mutation { updateSupplierProfile(input: {name: "Renamed"}) { id name } }',
        token=victim.other.token,
    )

    assert theirs.errors == []
    assert theirs.data == {
        "supplierLaunches": [],
        "supplierLaunchPage": {"nodes": []},
        "supplierBookings": {"nodes": []},
        "filtered": {"nodes": []},
        "rockets": [{"id": str(victim.other.rocket.id)}],
        "mySupplier": {"id": str(victim.other.supplier.id), "taxId": "TAX-1"},
    }
    assert mine.data["supplierLaunches"] == [{"id": str(victim.launch.id)}]
    assert mine.data["supplierBookings"] == {"nodes": [{"id": victim.booking_id}]}
    assert mine.data["filtered"] == {"nodes": [{"id": victim.booking_id}]}
    assert profile.data["updateSupplierProfile"]["id"] == str(victim.other.supplier.id)
    [name] = await rows(sa.select(Supplier.name).where(Supplier.id == victim.owner.supplier.id))
    assert name == victim.owner.supplier.name
