"""Customer profiles, VIP status and the customer's bookings list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from astro.settings import Settings
from tests.subgraphs.customer.booking_api import CANCEL, book, error_of, launch
from tests.subgraphs.customer.conftest import Caller, GraphQLClient, new_customer
from tests.subgraphs.customer.factories import passengers

PROFILE = """
{ customerProfile { id email fullName phone taxId legalAddress vip earlierTrips
    maxSeatsPerLaunch } }
"""
UPDATE = """
mutation($input: CustomerProfileInput!) {
  updateCustomerProfile(input: $input) { id email fullName taxId legalAddress phone }
}
"""
MY_BOOKINGS = """
query($period: BookingPeriod!) {
  myBookings(period: $period) { nodes { id status seats launch { id status launchDate } } }
}
"""


async def _past_trip(api: GraphQLClient, customer_db: Any, caller: Caller, days_ago: int) -> None:
    """A confirmed booking on a launch that has flown (booked back when it was upcoming)."""
    target = await launch(total_seats=10)
    body = await book(api, caller, target["id"], passengers(1))
    assert "errors" not in body, body
    flown = datetime.now(UTC) - timedelta(days=days_ago)
    await customer_db["launches"].update_one(
        {"_id": target["id"]}, {"$set": {"launch_date": flown, "status": "SUCCESSFUL"}}
    )
    await customer_db["bookings"].update_one(
        {"_id": body["data"]["bookSeats"]["id"]}, {"$set": {"status": "CONFIRMED"}}
    )


async def test_new_customer_has_an_empty_profile_and_is_not_a_vip(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    body = await customer_api(PROFILE, token=customer.token)

    assert body["data"]["customerProfile"] == {
        "id": customer.id,
        "email": customer.email,
        "fullName": None,
        "phone": None,
        "taxId": None,
        "legalAddress": None,
        "vip": False,
        "earlierTrips": 0,
        "maxSeatsPerLaunch": 4,
    }


async def test_profile_update_keeps_the_fields_left_out(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    first = await customer_api(
        UPDATE,
        {"input": {"fullName": "Ada Lovelace", "taxId": "GB-1", "legalAddress": "1 Main St"}},
        token=customer.token,
    )
    assert "errors" not in first, first

    second = await customer_api(UPDATE, {"input": {"phone": " +1 555 0199 "}}, token=customer.token)

    assert second["data"]["updateCustomerProfile"] == {
        "id": customer.id,
        "email": customer.email,
        "fullName": "Ada Lovelace",
        "taxId": "GB-1",
        "legalAddress": "1 Main St",
        "phone": "+1 555 0199",
    }


async def test_profile_with_an_invalid_email_is_refused(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    body = await customer_api(UPDATE, {"input": {"email": "not-an-email"}}, token=customer.token)

    assert error_of(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}


async def test_visitor_has_no_profile(customer_api: GraphQLClient) -> None:
    body = await customer_api(PROFILE)

    assert error_of(body)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_vip_may_book_six_seats(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    await _past_trip(customer_api, customer_db, customer, days_ago=300)
    await _past_trip(customer_api, customer_db, customer, days_ago=30)
    target = await launch(total_seats=12)

    profile = await customer_api(PROFILE, token=customer.token)
    six = await book(customer_api, customer, target["id"], passengers(6))
    seventh = await book(customer_api, customer, target["id"], passengers(1))

    assert profile["data"]["customerProfile"]["vip"] is True
    assert profile["data"]["customerProfile"]["maxSeatsPerLaunch"] == 6
    assert "errors" not in six, six
    assert error_of(seventh)["extensions"]["cap"] == 6


async def test_one_earlier_trip_does_not_make_a_vip(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    await _past_trip(customer_api, customer_db, customer, days_ago=30)
    target = await launch(total_seats=12)

    six = await book(customer_api, customer, target["id"], passengers(6))

    assert error_of(six)["extensions"]["cap"] == 4


async def test_my_bookings_lists_upcoming_and_past_with_the_launch_status(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any, settings: Settings
) -> None:
    await _past_trip(customer_api, customer_db, customer, days_ago=30)
    later = await launch(days_ahead=500)
    sooner = await launch(days_ahead=380, status="DELAYED")
    b_later = (await book(customer_api, customer, later["id"], passengers(1)))["data"]["bookSeats"]
    b_sooner = (await book(customer_api, customer, sooner["id"], passengers(2)))["data"][
        "bookSeats"
    ]
    await book(customer_api, new_customer(settings), later["id"], passengers(1))

    upcoming = await customer_api(MY_BOOKINGS, {"period": "UPCOMING"}, token=customer.token)
    past = await customer_api(MY_BOOKINGS, {"period": "PAST"}, token=customer.token)

    assert [b["id"] for b in upcoming["data"]["myBookings"]["nodes"]] == [
        b_sooner["id"],
        b_later["id"],
    ]
    assert upcoming["data"]["myBookings"]["nodes"][0]["launch"]["status"] == "DELAYED"
    [flown] = past["data"]["myBookings"]["nodes"]
    assert (flown["status"], flown["launch"]["status"]) == ("CONFIRMED", "SUCCESSFUL")


async def test_cancelled_booking_is_listed_as_cancelled(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target = await launch(days_ahead=400)
    booked = (await book(customer_api, customer, target["id"], passengers(1)))["data"]["bookSeats"]
    await customer_api(CANCEL, {"id": booked["id"]}, token=customer.token)

    body = await customer_api(MY_BOOKINGS, {"period": "ALL"}, token=customer.token)

    assert [(b["id"], b["status"]) for b in body["data"]["myBookings"]["nodes"]] == [
        (booked["id"], "CANCELLED")
    ]


PAGE = """
query($first: Int!, $after: String) {
  myBookings(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
}
"""


async def test_my_bookings_pages_by_cursor_and_refuses_a_foreign_cursor(
    customer_api: GraphQLClient, settings: Settings
) -> None:
    owner = new_customer(settings)
    ids = []
    for days in (400, 410, 420):
        target = await launch(days_ahead=days)
        ids.append(
            (await book(customer_api, owner, target["id"], passengers(1)))["data"]["bookSeats"][
                "id"
            ]
        )

    first = await customer_api(PAGE, {"first": 2}, token=owner.token)
    page = first["data"]["myBookings"]
    rest = await customer_api(
        PAGE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=owner.token
    )
    wrong = await customer_api(
        PAGE, {"first": 2, "after": "bm90LWEtYm9va2luZw=="}, token=owner.token
    )
    too_many = await customer_api(PAGE, {"first": 101}, token=owner.token)

    assert [b["id"] for b in page["nodes"]] == ids[:2] and page["pageInfo"]["hasNextPage"]
    last = rest["data"]["myBookings"]
    assert [b["id"] for b in last["nodes"]] == ids[2:] and not last["pageInfo"]["hasNextPage"]
    assert error_of(wrong)["extensions"]["code"] == "BAD_USER_INPUT"
    assert "pageInfo.endCursor" in error_of(wrong)["message"]
    assert error_of(too_many)["extensions"]["code"] == "BAD_USER_INPUT"
