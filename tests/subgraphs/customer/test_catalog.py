"""The public catalog over HTTP: listing, paging, slugs and entity resolution."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from subgraphs.customer.jobs import apply_launch_event
from tests.subgraphs.customer.conftest import CommandLog, GraphQLClient
from tests.subgraphs.customer.factories import launch_event

LAUNCHES = """
query($destination: String, $first: Int, $after: String) {
  launches(destination: $destination, first: $first, after: $after) {
    id slug seatsLeft destination launchDate pricePerSeat status
  }
}
"""


async def _schedule(**launch: Any) -> dict[str, Any]:
    event = launch_event(**launch)
    await apply_launch_event({}, event)
    launch_payload: dict[str, Any] = event["launch"]
    return launch_payload


def _cursor(launch: dict[str, Any]) -> str:
    return base64.b64encode(f"{launch['launchDate']}|{launch['id']}".encode()).decode()


async def test_catalog_lists_upcoming_launches_with_free_seats_by_date(
    customer_api: GraphQLClient, destination: str
) -> None:
    later = await _schedule(destination=destination, days_ahead=500, status="CONFIRMED")
    soonest = await _schedule(destination=destination, days_ahead=380, total_seats=10, seats_sold=4)
    middle = await _schedule(destination=destination, days_ahead=450, status="DELAYED")
    await _schedule(destination=f"{destination}-elsewhere", days_ahead=390)

    body = await customer_api(LAUNCHES, {"destination": destination})

    assert "errors" not in body, body
    listed = body["data"]["launches"]
    assert [launch["id"] for launch in listed] == [soonest["id"], middle["id"], later["id"]]
    assert listed[0] == {
        "id": soonest["id"],
        "slug": soonest["slug"],
        "seatsLeft": 6,
        "destination": destination,
        "launchDate": listed[0]["launchDate"],
        "pricePerSeat": "1250000.50",
        "status": "SCHEDULED",
    }
    assert listed[0]["launchDate"][:19] == soonest["launch_date"][:19]


async def test_catalog_pages_follow_the_cursor_of_the_last_launch(
    customer_api: GraphQLClient, destination: str
) -> None:
    launches = [await _schedule(destination=destination, days_ahead=400 + n) for n in range(5)]

    first_page = (await customer_api(LAUNCHES, {"destination": destination, "first": 2}))["data"]
    after = _cursor(first_page["launches"][-1])
    rest = (
        await customer_api(LAUNCHES, {"destination": destination, "first": 10, "after": after})
    )["data"]

    assert [launch["id"] for launch in first_page["launches"]] == [x["id"] for x in launches[:2]]
    assert [launch["id"] for launch in rest["launches"]] == [x["id"] for x in launches[2:]]


async def test_sold_out_and_past_launches_are_not_listed(
    customer_api: GraphQLClient, destination: str
) -> None:
    bookable = await _schedule(destination=destination)
    await _schedule(destination=destination, total_seats=6, seats_sold=6)
    await _schedule(destination=destination, days_ahead=-2)
    await _schedule(destination=destination, status="ABORTED")
    await _schedule(destination=destination, status="SUCCESSFUL")
    await _schedule(destination=destination, status="FAILED")

    body = await customer_api(LAUNCHES, {"destination": destination})

    assert [launch["id"] for launch in body["data"]["launches"]] == [bookable["id"]]


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_page_size_outside_1_to_100_is_bad_user_input(
    customer_api: GraphQLClient, first: int
) -> None:
    body = await customer_api(LAUNCHES, {"first": first})

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 100" in error["message"]


@pytest.mark.parametrize("after", ["not a cursor", base64.b64encode(b"yesterday|x").decode()])
async def test_malformed_cursor_is_bad_user_input(customer_api: GraphQLClient, after: str) -> None:
    body = await customer_api(LAUNCHES, {"after": after})

    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_launch_is_found_by_its_slug(customer_api: GraphQLClient) -> None:
    launch = await _schedule(total_seats=4, seats_sold=1)

    body = await customer_api(
        "query($slug: String!) { launchBySlug(slug: $slug) { id seatsLeft status } }",
        {"slug": launch["slug"]},
    )

    assert body == {
        "data": {"launchBySlug": {"id": launch["id"], "seatsLeft": 3, "status": "SCHEDULED"}}
    }


async def test_unknown_slug_is_not_found(customer_api: GraphQLClient) -> None:
    body = await customer_api('{ launchBySlug(slug: "no-such-launch") { id } }')

    assert body["data"] == {"launchBySlug": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-launch" in error["message"]
    assert error["path"] == ["launchBySlug"]


async def test_entities_resolve_many_launches_in_one_query(
    customer_api: GraphQLClient, command_log: CommandLog
) -> None:
    launches = [await _schedule(seats_sold=n) for n in range(3)]
    unknown = str(uuid.uuid4())
    representations = [{"__typename": "Launch", "id": launch["id"]} for launch in launches]
    representations.insert(1, {"__typename": "Launch", "id": unknown})
    representations.append({"__typename": "Launch", "id": launches[0]["id"]})
    finds_before = len(command_log.finds("launches"))

    body = await customer_api(
        """query($representations: [_Any!]!) {
             _entities(representations: $representations) { ... on Launch { id seatsLeft slug } }
           }""",
        {"representations": representations},
    )

    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {"id": launches[0]["id"], "seatsLeft": 10, "slug": launches[0]["slug"]},
        None,
        {"id": launches[1]["id"], "seatsLeft": 9, "slug": launches[1]["slug"]},
        {"id": launches[2]["id"], "seatsLeft": 8, "slug": launches[2]["slug"]},
        {"id": launches[0]["id"], "seatsLeft": 10, "slug": launches[0]["slug"]},
    ]
    [find] = command_log.finds("launches")[finds_before:]
    assert sorted(find["filter"]["_id"]["$in"]) == sorted([unknown] + [x["id"] for x in launches])


async def test_service_sdl_declares_the_launch_entity_contract(
    customer_api: GraphQLClient,
) -> None:
    sdl = (await customer_api("{ _service { sdl } }"))["data"]["_service"]["sdl"]

    assert 'type Launch @key(fields: "id")' in sdl
    for line in (
        "slug: String! @shareable",
        "seatsLeft: Int!\n",
        "destination: String! @shareable",
        "launchDate: DateTime! @shareable",
        "pricePerSeat: Decimal! @shareable",
        "status: LaunchStatus! @shareable",
        "launches(destination: String, first: Int = 20, after: String, filter: LaunchFilter): "
        "[Launch!]!",
        "launchBySlug(slug: String!): Launch",
    ):
        assert line in sdl
    assert 'type Booking @key(fields: "id")' in sdl
    assert 'type Customer @key(fields: "id")' in sdl
    # The admin subgraph owns rockets and suppliers: no field of this graph returns them.
    assert "rocket:" not in sdl and "supplier:" not in sdl
