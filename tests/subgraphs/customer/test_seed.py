"""Seeding the customer database."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from astro.demo import demo_id
from astro.identity import issue_access_token
from astro.settings import Settings
from subgraphs.customer.seed import seed
from subgraphs.customer.store import MongoDoc
from tests.subgraphs.customer.conftest import GraphQLClient

PROFILE = "{ customerProfile { id email vip earlierTrips maxSeatsPerLaunch } }"


async def test_seeding_twice_keeps_the_indexes_and_adds_no_launch_or_second_copy(
    settings: Settings, mongo: AsyncMongoClient[MongoDoc]
) -> None:
    database = mongo[settings.customer_db]
    launches = await database["launches"].count_documents({})

    await seed(settings)
    await seed(settings)

    indexes = await database["launches"].index_information()
    assert indexes["slug_unique"]["unique"] is True
    assert {"launch_date_id", "destination_launch_date_id"} <= set(indexes)
    assert await database["launches"].count_documents({}) == launches
    vip = demo_id("vip@astrobookings.dev")
    assert await database["bookings"].count_documents({"customer_id": vip}) == 2
    assert await database["customers"].count_documents({"_id": vip}) == 1


async def test_seeded_vip_has_two_earlier_trips_and_may_book_six_seats(
    settings: Settings, customer_api: GraphQLClient
) -> None:
    await seed(settings)
    vip = demo_id("vip@astrobookings.dev")
    token = issue_access_token(settings, sub=vip, email="vip@astrobookings.dev", roles=["customer"])

    body = await customer_api(PROFILE, token=token)

    assert body["data"]["customerProfile"] == {
        "id": vip,
        "email": "vip@astrobookings.dev",
        "vip": True,
        "earlierTrips": 2,
        "maxSeatsPerLaunch": 6,
    }
    past = await customer_api("{ myBookings(period: PAST) { nodes { id status } } }", token=token)
    assert [booking["id"] for booking in past["data"]["myBookings"]["nodes"]] == [
        demo_id("booking:vip-past-2"),
        demo_id("booking:vip-past-1"),
    ]
