"""bookSeats over HTTP on the real store: the rules, the transaction and concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from astro.settings import Settings
from tests.subgraphs.customer.booking_api import book, error_of, launch
from tests.subgraphs.customer.conftest import Caller, GraphQLClient, new_customer
from tests.subgraphs.customer.factories import passenger, passengers


async def test_booking_takes_the_seats_and_is_pending_with_its_ledger_event(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target = await launch(total_seats=10, price_per_seat="1250000.50")

    body = await book(customer_api, customer, target["id"], passengers(3))

    assert "errors" not in body, body
    booking = body["data"]["bookSeats"]
    assert booking["status"] == "PENDING"
    assert (booking["seats"], booking["unitPrice"], booking["total"]) == (
        3,
        "1250000.50",
        "3750001.50",
    )
    assert booking["launch"] == {"id": target["id"], "seatsLeft": 7, "status": "SCHEDULED"}
    [entry] = await customer_db["outbox"].find({"payload.booking.id": booking["id"]}).to_list()
    assert entry["job"] == "record_booking"
    assert entry["published_at"] is None
    event = entry["payload"]
    assert event["event_id"] == entry["_id"]
    assert event["topic"] == "booking.requested"
    assert event["booking"] == {
        "id": booking["id"],
        "launch_id": target["id"],
        "customer_id": customer.id,
        "customer_email": customer.email,
        "seats": 3,
        "unit_price": "1250000.50",
        "total": "3750001.50",
        "passengers": [
            {
                "name": f"Passenger {n}",
                "date_of_birth": "1990-05-01",
                "email": "passenger@example.com",
            }
            for n in (1, 2, 3)
        ],
        "created_at": event["booking"]["created_at"],
    }
    assert datetime.fromisoformat(event["booking"]["created_at"]).tzinfo is not None


async def test_sold_out_launch_rejects_booking(
    customer_api: GraphQLClient, settings: Settings
) -> None:
    target = await launch(total_seats=4, seats_sold=2)
    first = await book(customer_api, new_customer(settings), target["id"], passengers(2))
    assert "errors" not in first, first

    error = error_of(await book(customer_api, new_customer(settings), target["id"], passengers(1)))

    assert error["extensions"] == {"code": "CONFLICT", "seatsLeft": 0}
    assert "sold out" in error["message"]


async def test_asking_for_more_seats_than_are_left_says_how_many_are_left(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(total_seats=10, seats_sold=8)

    error = error_of(await book(customer_api, customer, target["id"], passengers(3)))

    assert error["extensions"] == {"code": "CONFLICT", "seatsLeft": 2}
    assert "only 2 seat(s) left" in error["message"]


async def test_fifth_seat_is_over_the_cap_for_a_regular_customer(
    customer_api: GraphQLClient, customer: Caller, catalog: Any
) -> None:
    target = await launch(total_seats=12)
    assert "errors" not in await book(customer_api, customer, target["id"], passengers(3))
    assert "errors" not in await book(customer_api, customer, target["id"], passengers(1))

    error = error_of(await book(customer_api, customer, target["id"], passengers(1)))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["remaining"] == 0
    assert "you can book 0 more" in error["message"]
    assert (await catalog.find_one({"_id": target["id"]}))["seats_left"] == 8


async def test_over_the_cap_error_says_how_many_seats_remain(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(total_seats=12)
    assert "errors" not in await book(customer_api, customer, target["id"], passengers(3))

    error = error_of(await book(customer_api, customer, target["id"], passengers(2)))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["remaining"] == 1
    assert "you hold 3, so you can book 1 more" in error["message"]


async def test_regular_customer_cannot_book_five_seats_at_once(
    customer_api: GraphQLClient, customer: Caller, catalog: Any
) -> None:
    target = await launch(total_seats=12)

    error = error_of(await book(customer_api, customer, target["id"], passengers(5)))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["cap"] == 4
    assert (await catalog.find_one({"_id": target["id"]}))["seats_left"] == 12


async def test_passenger_under_18_on_the_launch_date_is_named(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(days_ahead=400)
    launch_day = datetime.now(UTC).date() + timedelta(days=400)
    seventeen = launch_day.replace(year=launch_day.year - 18) + timedelta(days=2)
    people = [passenger("Grace Hopper"), passenger("Young Tim", born=seventeen.isoformat())]

    error = error_of(await book(customer_api, customer, target["id"], people))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["index"] == 1
    assert "Young Tim would be 17" in error["message"]


async def test_passenger_turning_71_before_the_launch_is_refused(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(days_ahead=400)
    launch_day = datetime.now(UTC).date() + timedelta(days=400)
    born = launch_day.replace(year=launch_day.year - 71)

    error = error_of(
        await book(customer_api, customer, target["id"], [passenger("Old Joe", born.isoformat())])
    )

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Old Joe would be 71" in error["message"]


async def test_passenger_exactly_18_and_70_on_the_launch_date_may_fly(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(days_ahead=400)
    launch_day = (datetime.now(UTC) + timedelta(days=400)).date()
    people = [
        passenger("Just Eighteen", launch_day.replace(year=launch_day.year - 18).isoformat()),
        passenger("Seventy Today", launch_day.replace(year=launch_day.year - 70).isoformat()),
    ]

    body = await book(customer_api, customer, target["id"], people)

    assert "errors" not in body, body


async def test_aborted_launch_cannot_be_booked(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(status="ABORTED")

    error = error_of(await book(customer_api, customer, target["id"], passengers(1)))

    assert error["extensions"] == {"code": "CONFLICT", "status": "ABORTED"}
    assert "no longer be booked" in error["message"]


async def test_launch_that_has_left_cannot_be_booked(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(days_ahead=-1, status="CONFIRMED")

    error = error_of(await book(customer_api, customer, target["id"], passengers(1)))

    assert error["extensions"] == {"code": "CONFLICT", "status": "CONFIRMED"}


async def test_booking_without_passengers_is_refused(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch()

    error = error_of(await book(customer_api, customer, target["id"], []))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_visitor_cannot_book(customer_api: GraphQLClient) -> None:
    target = await launch()
    visitor = Caller("", "", "")

    error = error_of(await book(customer_api, visitor, target["id"], passengers(1)))

    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_concurrent_bookings_never_sell_more_than_the_seats(
    customer_api: GraphQLClient, settings: Settings, customer_db: Any
) -> None:
    target = await launch(total_seats=10)
    callers = [new_customer(settings) for _ in range(40)]

    answers = await asyncio.gather(
        *(book(customer_api, caller, target["id"], passengers(1)) for caller in callers)
    )

    booked = [answer for answer in answers if "errors" not in answer]
    refused = [error_of(answer) for answer in answers if "errors" in answer]
    assert len(booked) == 10
    assert {error["extensions"]["code"] for error in refused} == {"CONFLICT"}
    stored = await customer_db["launches"].find_one({"_id": target["id"]})
    assert stored["seats_left"] == 0
    assert await customer_db["bookings"].count_documents({"launch_id": target["id"]}) == 10
    assert (
        await customer_db["outbox"].count_documents({"payload.booking.launch_id": target["id"]})
        == 10
    )


async def test_concurrent_bookings_of_one_customer_stay_within_the_cap(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target = await launch(total_seats=12)

    answers = await asyncio.gather(
        *(book(customer_api, customer, target["id"], passengers(1)) for _ in range(8))
    )

    assert sum("errors" not in answer for answer in answers) == 4
    stored = await customer_db["launches"].find_one({"_id": target["id"]})
    assert stored["seats_left"] == 8


async def test_total_is_seats_times_the_current_price(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(price_per_seat="99999.99")

    body = await book(customer_api, customer, target["id"], passengers(2))

    assert Decimal(body["data"]["bookSeats"]["total"]) == Decimal("199999.98")
