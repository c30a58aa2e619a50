"""Booking through the gateway with the demo accounts, on the whole platform (real stores, real
arq worker): the booking path into the PostgreSQL ledger and back, and a rush on one launch."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from pymongo import AsyncMongoClient

from astro.demo import DEMO_PASSWORD
from astro.identity import issue_access_token
from astro.settings import Settings
from tests.e2e.conftest import Gateway, wait_for

BOOK = """
mutation($input: BookSeatsInput!) {
  bookSeats(input: $input) { id status seats total launch { id seatsLeft } }
}
"""
MY_BOOKINGS = """
{ myBookings { nodes { id status seats refund { percent amount seatsReleased }
    launch { id slug status rocket { name } supplier { name } } } } }
"""
CATALOG = """
query($filter: LaunchFilter) {
  catalog(filter: $filter, first: 50) {
    edges { node { id slug destination seatsLeft totalSeats rocket { capacity } } }
  }
}
"""


def _passengers(count: int) -> list[dict[str, str]]:
    return [
        {"name": f"Traveller {n}", "dateOfBirth": "1985-06-15", "email": f"t{n}@example.com"}
        for n in range(1, count + 1)
    ]


def _launch_with_seats(gateway: Gateway, seats: int) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        body = gateway.post(CATALOG, {"filter": {}})
        assert "errors" not in body, body
        for edge in body["data"]["catalog"]["edges"]:
            if edge["node"]["seatsLeft"] >= seats:
                node: dict[str, Any] = edge["node"]
                return node
        assert time.monotonic() < deadline, "no demo launch with enough seats in the catalog"
        time.sleep(0.2)


def _my_bookings(gateway: Gateway, token: str) -> list[dict[str, Any]]:
    body = gateway.post(MY_BOOKINGS, token=token)
    assert "errors" not in body, body
    bookings: list[dict[str, Any]] = body["data"]["myBookings"]["nodes"]
    return bookings


def test_demo_customer_books_seats_and_the_ledger_confirms_them(platform: Gateway) -> None:
    token = platform.login("customer@astrobookings.dev", DEMO_PASSWORD)
    launch = _launch_with_seats(platform, 2)

    booked = platform.post(
        BOOK, {"input": {"launchId": launch["id"], "passengers": _passengers(2)}}, token=token
    )

    assert "errors" not in booked, booked
    booking = booked["data"]["bookSeats"]
    assert booking["status"] == "PENDING"
    assert booking["launch"]["seatsLeft"] == launch["seatsLeft"] - 2
    listed = wait_for(
        lambda: [b for b in _my_bookings(platform, token) if b["id"] == booking["id"]],
        lambda items: bool(items) and items[0]["status"] == "CONFIRMED",
        timeout=15,
    )
    assert listed[0]["status"] == "CONFIRMED"
    assert listed[0]["launch"]["slug"] == launch["slug"]
    assert listed[0]["launch"]["rocket"]["name"]
    assert listed[0]["launch"]["supplier"]["name"]


def test_vip_is_a_vip_and_may_book_six_seats(platform: Gateway) -> None:
    token = platform.login("vip@astrobookings.dev", DEMO_PASSWORD)
    profile = platform.post(
        "{ customerProfile { vip earlierTrips maxSeatsPerLaunch } }", token=token
    )
    assert "errors" not in profile, profile
    assert profile["data"]["customerProfile"]["vip"] is True
    launch = _launch_with_seats(platform, 6)

    booked = platform.post(
        BOOK, {"input": {"launchId": launch["id"], "passengers": _passengers(6)}}, token=token
    )

    assert "errors" not in booked, booked
    assert booked["data"]["bookSeats"]["seats"] == 6


def test_cancelling_a_year_ahead_refunds_90_percent_in_both_stores(
    platform: Gateway, settings: Settings
) -> None:
    token = platform.login("customer@astrobookings.dev", DEMO_PASSWORD)
    launch = _launch_with_seats(platform, 1)
    booked = platform.post(
        BOOK, {"input": {"launchId": launch["id"], "passengers": _passengers(1)}}, token=token
    )
    booking_id = booked["data"]["bookSeats"]["id"]
    wait_for(
        lambda: [b for b in _my_bookings(platform, token) if b["id"] == booking_id],
        lambda items: items[0]["status"] == "CONFIRMED",
        timeout=15,
    )

    quote = platform.post(
        "query($id: ID!) { refundQuote(bookingId: $id) { percent seatsReleased } }",
        {"id": booking_id},
        token=token,
    )
    cancelled = platform.post(
        "mutation($id: ID!) { cancelBooking(bookingId: $id) { status refund { percent } } }",
        {"id": booking_id},
        token=token,
    )

    assert quote["data"]["refundQuote"] == {"percent": 90, "seatsReleased": True}
    assert cancelled["data"]["cancelBooking"] == {"status": "CANCELLED", "refund": {"percent": 90}}
    ledger = asyncio.run(_ledger_booking(settings, booking_id))
    deadline = time.monotonic() + 15
    while ledger["status"] != "CANCELLED" and time.monotonic() < deadline:
        time.sleep(0.2)
        ledger = asyncio.run(_ledger_booking(settings, booking_id))
    assert (ledger["status"], ledger["refund_percent"]) == ("CANCELLED", 90)


def test_visitor_cannot_book(platform: Gateway) -> None:
    launch = _launch_with_seats(platform, 1)

    result = platform.post(
        BOOK, {"input": {"launchId": launch["id"], "passengers": _passengers(1)}}
    )

    assert result.get("data") is None
    assert result["errors"][0]["extensions"]["code"] in {
        "UNAUTHENTICATED",
        "UNAUTHORIZED_FIELD_OR_TYPE",
    }


async def _ledger_booking(settings: Settings, booking_id: str) -> dict[str, Any]:
    assert settings.postgres_url
    conn = await asyncpg.connect(settings.postgres_url)
    try:
        row = await conn.fetchrow(
            "SELECT status, refund_percent FROM bookings WHERE id = $1", uuid.UUID(booking_id)
        )
    finally:
        await conn.close()
    return dict(row) if row is not None else {"status": None, "refund_percent": None}


async def _ledger_launch(settings: Settings, launch_id: str) -> tuple[int, int]:
    """Seats sold on the launch and seats of its CONFIRMED bookings, in the ledger."""
    assert settings.postgres_url
    conn = await asyncpg.connect(settings.postgres_url)
    try:
        sold = await conn.fetchval(
            "SELECT seats_sold FROM launches WHERE id = $1", uuid.UUID(launch_id)
        )
        confirmed = await conn.fetchval(
            "SELECT coalesce(sum(seats), 0) FROM bookings "
            "WHERE launch_id = $1 AND status = 'CONFIRMED'",
            uuid.UUID(launch_id),
        )
    finally:
        await conn.close()
    return int(sold), int(confirmed)


async def _read_model_statuses(settings: Settings, launch_id: str) -> dict[str, int]:
    """How many of the launch's bookings the customer store holds in each status."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        bookings = client[settings.customer_db]["bookings"]
        return {
            row["_id"]: row["count"]
            async for row in await bookings.aggregate(
                [
                    {"$match": {"launch_id": launch_id}},
                    {"$group": {"_id": "$status", "count": {"$sum": 1}}},
                ]
            )
        }
    finally:
        await client.close()


def _schedule_big_launch(gateway: Gateway, capacity: int) -> str:
    token = gateway.login("supplier@astrobookings.dev", DEMO_PASSWORD)
    rocket = gateway.post(
        """mutation($input: AddRocketInput!) { addRocket(input: $input) { id } }""",
        {"input": {"name": f"Rush {uuid.uuid4().hex[:6]}", "capacity": capacity, "range": "LEO"}},
        token=token,
    )
    assert "errors" not in rocket, rocket
    spaceport = gateway.post("{ spaceports { id } }")["data"]["spaceports"][0]
    when = (datetime.now(UTC) + timedelta(days=500)).replace(microsecond=0)
    scheduled = gateway.post(
        """mutation($input: ScheduleLaunchInput!) { scheduleLaunch(input: $input) { id } }""",
        {
            "input": {
                "rocketId": rocket["data"]["addRocket"]["id"],
                "spaceportId": spaceport["id"],
                "destination": "Rush Orbit",
                "launchDate": when.isoformat(),
                "pricePerSeat": "1000.00",
                "seats": capacity,
            }
        },
        token=token,
    )
    assert "errors" not in scheduled, scheduled
    launch_id: str = scheduled["data"]["scheduleLaunch"]["id"]
    return launch_id


async def _rush(url: str, settings: Settings, launch_id: str, clients: int) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def one(n: int) -> dict[str, Any]:
            token = issue_access_token(
                settings, sub=str(uuid.uuid4()), email=f"rush{n}@example.com", roles=["customer"]
            )
            response = await http.post(
                url,
                json={
                    "query": BOOK,
                    "variables": {"input": {"launchId": launch_id, "passengers": _passengers(1)}},
                },
                headers={"authorization": f"Bearer {token}"},
            )
            body: dict[str, Any] = response.json()
            return body

        return await asyncio.gather(*(one(n) for n in range(clients)))


def test_500_concurrent_bookings_sell_exactly_the_capacity_and_both_stores_agree(
    platform: Gateway, settings: Settings
) -> None:
    capacity = 40
    launch_id = _schedule_big_launch(platform, capacity)
    wait_for(
        lambda: platform.post(CATALOG, {"filter": {"destination": "Rush Orbit"}})["data"][
            "catalog"
        ]["edges"],
        lambda edges: any(edge["node"]["id"] == launch_id for edge in edges),
        timeout=10,
    )

    answers = asyncio.run(_rush(platform.url, settings, launch_id, 500))

    booked = [a for a in answers if a.get("data") and a["data"].get("bookSeats")]
    refused = [a for a in answers if a.get("errors")]
    assert len(booked) == capacity
    assert len(refused) == 500 - capacity
    assert {a["errors"][0]["extensions"]["code"] for a in refused} == {"CONFLICT"}
    assert all("sold out" in a["errors"][0]["message"] for a in refused)
    deadline = time.monotonic() + 60
    while True:
        sold, confirmed = asyncio.run(_ledger_launch(settings, launch_id))
        if sold == capacity or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (sold, confirmed) == (capacity, capacity)
    deadline = time.monotonic() + 30
    while True:
        statuses = asyncio.run(_read_model_statuses(settings, launch_id))
        if statuses == {"CONFIRMED": capacity} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert statuses == {"CONFIRMED": capacity}
    seats_left = platform.post(
        "query($s: String!) { launchBySlug(slug: $s) { seatsLeft } }",
        {"s": _slug_of(platform, launch_id)},
    )
    assert seats_left["data"]["launchBySlug"]["seatsLeft"] == 0


def _slug_of(gateway: Gateway, launch_id: str) -> str:
    body = gateway.post("query($id: ID!) { launch(id: $id) { slug } }", {"id": launch_id})
    assert "errors" not in body, body
    slug: str = body["data"]["launch"]["slug"]
    return slug
