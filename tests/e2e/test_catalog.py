from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from astro.demo import DEMO_PASSWORD
from tests.e2e.conftest import Gateway

CATALOG = """
{ launches(first: 50) { id slug destination launchDate pricePerSeat seatsLeft
    rocket { name capacity } supplier { name } } }
"""


def _wait_for_catalog(
    gateway: Gateway, predicate: object, timeout: float
) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        result = gateway.post(CATALOG)
        assert "errors" not in result, result
        launches: list[dict[str, object]] = result["data"]["launches"]
        if callable(predicate) and predicate(launches):
            return launches
        if time.monotonic() > deadline:
            return launches
        time.sleep(0.05)


def test_visitor_lists_seeded_launches_with_rocket_and_supplier_names(platform: Gateway) -> None:
    launches = _wait_for_catalog(platform, lambda items: len(items) >= 3, timeout=20)
    assert len(launches) >= 3
    for launch in launches:
        assert launch["rocket"]["name"]  # type: ignore[index]
        assert launch["supplier"]["name"] in {"Orbital Horizons", "Lunar Express"}  # type: ignore[index]
        assert 0 < launch["seatsLeft"] <= launch["rocket"]["capacity"]  # type: ignore[index,operator]
    dates = [launch["launchDate"] for launch in launches]
    assert dates == sorted(dates)  # type: ignore[type-var]


def test_scheduled_launch_reaches_the_visitors_catalog_within_two_seconds(
    platform: Gateway,
) -> None:
    _wait_for_catalog(platform, lambda items: len(items) >= 3, timeout=20)
    token = platform.login("supplier@astrobookings.dev", DEMO_PASSWORD)
    rockets = platform.post("{ rockets { id name capacity } }", token=token)
    assert "errors" not in rockets, rockets
    rocket = rockets["data"]["rockets"][0]
    spaceport = platform.post("{ spaceports { id } }")["data"]["spaceports"][0]
    when = (datetime.now(UTC) + timedelta(days=600)).replace(microsecond=0)
    scheduled = platform.post(
        """mutation($input: ScheduleLaunchInput!) {
             scheduleLaunch(input: $input) { id slug destination status } }""",
        {
            "input": {
                "rocketId": rocket["id"],
                "spaceportId": spaceport["id"],
                "destination": "Europa Flyby",
                "launchDate": when.isoformat(),
                "pricePerSeat": "250000.00",
                "seats": rocket["capacity"],
            }
        },
        token=token,
    )
    assert "errors" not in scheduled, scheduled
    launch_id = scheduled["data"]["scheduleLaunch"]["id"]
    started = time.monotonic()
    launches = _wait_for_catalog(
        platform, lambda items: any(item["id"] == launch_id for item in items), timeout=2.0
    )
    elapsed = time.monotonic() - started
    listed = [item for item in launches if item["id"] == launch_id]
    assert listed, f"launch {launch_id} not in the catalog after {elapsed:.2f}s"
    assert listed[0]["destination"] == "Europa Flyby"
    assert listed[0]["seatsLeft"] == rocket["capacity"]
    assert listed[0]["supplier"] == {"name": "Orbital Horizons"}


def test_visitor_cannot_schedule_a_launch(platform: Gateway) -> None:
    result = platform.post(
        """mutation { scheduleLaunch(input: {rocketId: "x", spaceportId: "y",
             destination: "Mars", launchDate: "2030-01-01T00:00:00Z", pricePerSeat: "1",
             seats: 1}) { id } }"""
    )
    assert result.get("data") is None
    # The gateway removes the unauthorized field before planning: no subgraph is called.
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


def test_malformed_query_gets_a_parse_error_with_a_code(platform: Gateway) -> None:
    result = platform.post("{ launches { id ")
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_unknown_field_gets_a_validation_error_naming_it(platform: Gateway) -> None:
    result = platform.post("{ launches { id warpFactor } }")
    error = result["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "warpFactor" in error["message"]


def test_wrong_password_is_an_unauthenticated_error(platform: Gateway) -> None:
    result = platform.post(
        'mutation { login(email: "customer@astrobookings.dev", password: "Wrong-pass-1!") '
        "{ accessToken } }"
    )
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert result["errors"][0]["message"] == "Email or password is incorrect."


def test_unknown_launch_is_not_found(platform: Gateway) -> None:
    result = platform.post('{ launch(id: "00000000-0000-0000-0000-000000000000") { id } }')
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
