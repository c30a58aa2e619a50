"""refundQuote and cancelBooking over HTTP: refund tiers, seats and the ledger event."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from astro.settings import Settings
from tests.subgraphs.customer.booking_api import CANCEL, QUOTE, book, error_of, launch
from tests.subgraphs.customer.conftest import Caller, GraphQLClient, new_customer
from tests.subgraphs.customer.factories import passengers


async def _booked(
    api: GraphQLClient, caller: Caller, seats: int = 2, **launch_fields: Any
) -> tuple[dict[str, Any], str]:
    target = await launch(price_per_seat="1000.00", **launch_fields)
    body = await book(api, caller, target["id"], passengers(seats))
    assert "errors" not in body, body
    booking_id: str = body["data"]["bookSeats"]["id"]
    return target, booking_id


async def test_cancelling_a_year_ahead_refunds_90_percent_and_frees_the_seats(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking_id = await _booked(customer_api, customer, days_ahead=400, total_seats=10)

    quote = await customer_api(QUOTE, {"id": booking_id}, token=customer.token)
    cancelled = await customer_api(CANCEL, {"id": booking_id}, token=customer.token)

    assert quote["data"]["refundQuote"] == {
        "bookingId": booking_id,
        "percent": 90,
        "amount": "1800.00",
        "seatsReleased": True,
    }
    assert "errors" not in cancelled, cancelled
    booking = cancelled["data"]["cancelBooking"]
    assert booking["status"] == "CANCELLED"
    assert booking["refund"] == {
        "percent": 90,
        "amount": "1800.00",
        "seatsReleased": True,
        "cancelledBy": "customer",
    }
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10
    [entry] = await customer_db["outbox"].find({"payload.booking_id": booking_id}).to_list()
    assert entry["job"] == "record_cancellation"
    assert entry["payload"] == {
        "contract_version": 1,
        "event_id": entry["_id"],
        "topic": "booking.cancel_requested",
        "booking_id": booking_id,
        "customer_id": customer.id,
        "requested_at": entry["payload"]["requested_at"],
    }


async def test_cancelling_five_months_ahead_refunds_70_percent(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking_id = await _booked(customer_api, customer, days_ahead=150, total_seats=10)

    cancelled = await customer_api(CANCEL, {"id": booking_id}, token=customer.token)

    refund = cancelled["data"]["cancelBooking"]["refund"]
    assert (refund["percent"], refund["amount"], refund["seatsReleased"]) == (70, "1400.00", True)
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10


async def test_cancelling_within_three_months_refunds_nothing_and_keeps_the_seats_sold(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking_id = await _booked(customer_api, customer, days_ahead=30, total_seats=10)

    quote = await customer_api(QUOTE, {"id": booking_id}, token=customer.token)
    cancelled = await customer_api(CANCEL, {"id": booking_id}, token=customer.token)

    assert quote["data"]["refundQuote"]["percent"] == 0
    assert quote["data"]["refundQuote"]["seatsReleased"] is False
    refund = cancelled["data"]["cancelBooking"]["refund"]
    assert (refund["percent"], refund["amount"], refund["seatsReleased"]) == (0, "0.00", False)
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 8
    stored = await customer_db["bookings"].find_one({"_id": booking_id})
    assert stored["seats_released"] is False


async def test_refund_quote_follows_the_current_launch_date(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking_id = await _booked(customer_api, customer, days_ahead=400)
    # The launch was moved closer (the sync applies such changes to the catalog).
    later = target["launch_date"]
    sooner = datetime.now(UTC) + timedelta(days=120)
    await customer_db["launches"].update_one(
        {"_id": target["id"]}, {"$set": {"launch_date": sooner}}
    )
    assert later != sooner.isoformat()

    quote = await customer_api(QUOTE, {"id": booking_id}, token=customer.token)

    assert quote["data"]["refundQuote"]["percent"] == 70


async def test_cancelling_twice_is_a_conflict(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking_id = await _booked(customer_api, customer, days_ahead=400, total_seats=10)
    assert "errors" not in await customer_api(CANCEL, {"id": booking_id}, token=customer.token)

    again = await customer_api(CANCEL, {"id": booking_id}, token=customer.token)
    quote = await customer_api(QUOTE, {"id": booking_id}, token=customer.token)

    assert error_of(again)["extensions"]["code"] == "CONFLICT"
    assert "already cancelled" in error_of(again)["message"]
    assert error_of(quote)["extensions"]["code"] == "CONFLICT"
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10


async def test_concurrent_cancellations_give_the_seats_back_once(
    customer_api: GraphQLClient, customer: Caller, customer_db: Any
) -> None:
    target, booking_id = await _booked(customer_api, customer, days_ahead=400, total_seats=10)

    answers = await asyncio.gather(
        *(customer_api(CANCEL, {"id": booking_id}, token=customer.token) for _ in range(5))
    )

    assert sum("errors" not in answer for answer in answers) == 1
    assert (await customer_db["launches"].find_one({"_id": target["id"]}))["seats_left"] == 10
    assert await customer_db["outbox"].count_documents({"payload.booking_id": booking_id}) == 1


async def test_another_customers_booking_is_not_found(
    customer_api: GraphQLClient, customer: Caller, settings: Settings
) -> None:
    _, booking_id = await _booked(customer_api, customer)
    stranger = new_customer(settings)

    cancel = await customer_api(CANCEL, {"id": booking_id}, token=stranger.token)
    quote = await customer_api(QUOTE, {"id": booking_id}, token=stranger.token)

    assert error_of(cancel)["extensions"]["code"] == "NOT_FOUND"
    assert error_of(quote)["extensions"]["code"] == "NOT_FOUND"


async def test_cancelled_seats_no_longer_count_towards_the_cap(
    customer_api: GraphQLClient, customer: Caller
) -> None:
    target, booking_id = await _booked(customer_api, customer, seats=4, total_seats=12)
    assert "errors" not in await customer_api(CANCEL, {"id": booking_id}, token=customer.token)

    again = await book(customer_api, customer, target["id"], passengers(4))

    assert "errors" not in again, again
