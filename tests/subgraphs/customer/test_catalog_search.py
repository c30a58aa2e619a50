"""The catalog connection: filters, text search, pages, and the visitors' Redis cache."""

from __future__ import annotations

import uuid
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings

from astro.settings import Settings
from subgraphs.customer.jobs import apply_launch_event
from tests.subgraphs.customer.booking_api import launch
from tests.subgraphs.customer.conftest import Caller, CommandLog, GraphQLClient
from tests.subgraphs.customer.factories import launch_event

CATALOG = """
query($filter: LaunchFilter, $first: Int, $after: String) {
  catalog(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id seatsLeft status } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _ids(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [edge["node"]["id"] for edge in body["data"]["catalog"]["edges"]]


def _rocket(name: str, range_class: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "capacity": 12, "range": range_class}


async def test_catalog_filters_by_price_range_rocket_range_and_spaceport(
    customer_api: GraphQLClient, destination: str
) -> None:
    cheap = await launch(destination=destination, price_per_seat="95000.00", days_ahead=380)
    leo = await launch(
        destination=destination,
        price_per_seat="450000.00",
        rocket=_rocket("Shuttle", "LEO"),
        days_ahead=390,
    )
    far = await launch(
        destination=destination,
        price_per_seat="2500000.00",
        rocket=_rocket("Heavy", "INTERPLANETARY"),
        days_ahead=400,
    )

    async def ids(**criteria: Any) -> list[str]:
        filter_ = {"destination": destination, **criteria}
        return _ids(await customer_api(CATALOG, {"filter": filter_}))

    assert await ids() == [cheap["id"], leo["id"], far["id"]]
    assert await ids(minPrice="100000", maxPrice="500000") == [leo["id"]]
    assert await ids(maxPrice="95000.00") == [cheap["id"]]
    assert await ids(rangeClass="INTERPLANETARY") == [far["id"]]
    assert await ids(spaceport="KSC") == [cheap["id"], leo["id"], far["id"]]
    assert await ids(spaceport="CSG") == []


async def test_catalog_filters_by_date_range(customer_api: GraphQLClient, destination: str) -> None:
    soon = await launch(destination=destination, days_ahead=380)
    later = await launch(destination=destination, days_ahead=600)

    body = await customer_api(
        CATALOG,
        {"filter": {"destination": destination, "dateFrom": later["launch_date"]}},
    )
    until = await customer_api(
        CATALOG, {"filter": {"destination": destination, "dateTo": soon["launch_date"]}}
    )

    assert _ids(body) == [later["id"]]
    assert _ids(until) == [soon["id"]]


async def test_search_finds_launches_by_destination_rocket_or_supplier_ignoring_case(
    customer_api: GraphQLClient,
) -> None:
    word = uuid.uuid4().hex[:8]
    by_destination = await launch(destination=f"Titan {word.upper()} Base")
    by_rocket = await launch(rocket=_rocket(f"Star{word}ship", "INTERPLANETARY"))
    by_supplier = await launch(supplier={"id": str(uuid.uuid4()), "name": f"{word} Aerospace"})
    both = await launch(
        destination=f"Europa {word}",
        supplier={"id": str(uuid.uuid4()), "name": "Lunar (Express)."},
    )

    found = _ids(await customer_api(CATALOG, {"filter": {"search": word}, "first": 100}))
    narrowed = _ids(await customer_api(CATALOG, {"filter": {"search": f"{word} lunar"}}))
    regex_chars = _ids(await customer_api(CATALOG, {"filter": {"search": f"{word} (express)."}}))

    assert sorted(found) == sorted(
        [by_destination["id"], by_rocket["id"], by_supplier["id"], both["id"]]
    )
    assert narrowed == [both["id"]]
    assert regex_chars == [both["id"]]


async def test_catalog_pages_end_where_the_launches_end(
    customer_api: GraphQLClient, destination: str
) -> None:
    launches = [await launch(destination=destination, days_ahead=380 + day) for day in range(5)]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = await customer_api(
            CATALOG, {"filter": {"destination": destination}, "first": 2, "after": after}
        )
        seen += _ids(body)
        pages += 1
        info = body["data"]["catalog"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]

    assert seen == [item["id"] for item in launches]
    assert pages == 3


async def test_visitors_catalog_is_cached_until_the_sync_changes_a_launch(
    customer_api: GraphQLClient,
    customer: Caller,
    destination: str,
    settings: Settings,
    catalog: Any,
) -> None:
    event = launch_event(destination=destination, total_seats=10)
    await apply_launch_event({}, event)
    launch_id = event["launch"]["id"]
    query = {"filter": {"destination": destination}}
    first = await customer_api(CATALOG, query)
    # A change that bypasses the sync is not seen by visitors until the sync invalidates.
    await catalog.update_one({"_id": launch_id}, {"$inc": {"seats_left": -1}})

    cached = await customer_api(CATALOG, query)
    fresh_for_customer = await customer_api(CATALOG, query, token=customer.token)
    assert settings.redis_url
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    try:
        aborted = launch_event(
            launch_id=launch_id,
            version=2,
            topic="launch.updated",
            destination=destination,
            status="ABORTED",
        )
        await apply_launch_event({"redis": pool, "settings": settings}, aborted)
    finally:
        await pool.aclose()
    after_abort = await customer_api(CATALOG, query)

    assert first["data"]["catalog"]["edges"][0]["node"]["seatsLeft"] == 10
    assert cached == first
    assert fresh_for_customer["data"]["catalog"]["edges"][0]["node"]["seatsLeft"] == 9
    assert _ids(after_abort) == []


async def test_visitors_launch_page_never_shows_an_aborted_launch_as_bookable(
    customer_api: GraphQLClient, settings: Settings
) -> None:
    event = launch_event()
    await apply_launch_event({}, event)
    by_slug = "query($s: String!) { launchBySlug(slug: $s) { id status } }"
    slug = event["launch"]["slug"]
    before = await customer_api(by_slug, {"s": slug})
    assert settings.redis_url
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    try:
        aborted = launch_event(
            launch_id=event["launch"]["id"],
            slug=slug,
            version=2,
            topic="launch.updated",
            status="ABORTED",
        )
        await apply_launch_event({"redis": pool, "settings": settings}, aborted)
    finally:
        await pool.aclose()

    after = await customer_api(by_slug, {"s": slug})

    assert before["data"]["launchBySlug"]["status"] == "SCHEDULED"
    assert after["data"]["launchBySlug"]["status"] == "ABORTED"


async def test_visitors_repeated_query_is_answered_without_reading_mongodb(
    customer_api: GraphQLClient, destination: str, command_log: CommandLog
) -> None:
    await launch(destination=destination)
    query = {"filter": {"destination": destination}}
    first = await customer_api(CATALOG, query)
    finds_before = len(command_log.finds("launches"))

    again = await customer_api(CATALOG, query)

    assert again == first
    assert len(command_log.finds("launches")) == finds_before
