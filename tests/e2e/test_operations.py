"""The operations stories through the gateway with the demo supplier and finance accounts, on
the whole platform (real stores, real arq worker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from astro.demo import DEMO_PASSWORD, DEMO_SUPPLIER_ID
from tests.e2e.conftest import Gateway, wait_for

SUPPLIER = "supplier@astrobookings.dev"
FINANCE = "finance@astrobookings.dev"
CUSTOMER = "customer@astrobookings.dev"
REFUSED = {"FORBIDDEN", "UNAUTHORIZED_FIELD_OR_TYPE", "UNAUTHENTICATED"}

SCHEDULE = """
mutation($input: ScheduleLaunchInput!) {
  scheduleLaunch(input: $input) { id status totalSeats launchDate originalLaunchDate }
}
"""
OWN_LAUNCH = """
query($status: LaunchStatus) {
  supplierLaunches { id status }
  supplierLaunchPage(status: $status, first: 100) {
    nodes { id status launchDate originalLaunchDate
            figures { seatsSold seatsLeft occupancyPercent revenue belowViabilityThreshold }
            statusHistory { fromStatus toStatus reason } }
  }
}
"""
OWN_BOOKINGS = """
query($l: ID!) {
  supplierBookings(launchId: $l) {
    nodes { id status seats total refundPercent cancelledBy refund { amount percent } }
  }
}
"""


def _ok(gateway: Gateway, query: str, variables: dict[str, Any] | None, token: str) -> Any:
    body = gateway.post(query, variables, token)
    assert "errors" not in body, body
    return body["data"]


def _schedule(gateway: Gateway, token: str, *, seats: int = 6, days: int = 600) -> dict[str, Any]:
    rockets = _ok(gateway, "{ rockets { id name capacity } }", None, token)["rockets"]
    rocket = max(rockets, key=lambda r: r["capacity"])
    spaceport = _ok(gateway, "{ spaceports { id } }", None, token)["spaceports"][0]
    when = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    launch: dict[str, Any] = _ok(
        gateway,
        SCHEDULE,
        {
            "input": {
                "rocketId": rocket["id"],
                "spaceportId": spaceport["id"],
                "destination": "Lagrange Point 2",
                "launchDate": when.isoformat(),
                "pricePerSeat": "125000.50",
                "seats": seats,
            }
        },
        token,
    )["scheduleLaunch"]
    return launch


def test_demo_supplier_schedules_confirms_delays_and_sees_occupancy(platform: Gateway) -> None:
    token = platform.login(SUPPLIER, DEMO_PASSWORD)
    launch = _schedule(platform, token, seats=5)
    later = (datetime.fromisoformat(launch["launchDate"]) + timedelta(days=45)).isoformat()

    confirmed = _ok(
        platform,
        "mutation($id: ID!) { confirmLaunch(id: $id) { status } }",
        {"id": launch["id"]},
        token,
    )
    delayed = _ok(
        platform,
        """mutation($id: ID!, $d: DateTime!) {
             delayLaunch(id: $id, newLaunchDate: $d, reason: "range maintenance") {
               status launchDate originalLaunchDate } }""",
        {"id": launch["id"], "d": later},
        token,
    )
    listed = _ok(platform, OWN_LAUNCH, {"status": "DELAYED"}, token)
    invalid = platform.post(
        "mutation($id: ID!) { markLaunchSuccessful(id: $id) { status } }",
        {"id": launch["id"]},
        token,
    )

    assert confirmed["confirmLaunch"]["status"] == "CONFIRMED"
    assert delayed["delayLaunch"]["status"] == "DELAYED"
    assert delayed["delayLaunch"]["originalLaunchDate"] == launch["launchDate"]
    assert datetime.fromisoformat(delayed["delayLaunch"]["launchDate"]) == datetime.fromisoformat(
        later
    )
    assert {"id": launch["id"], "status": "DELAYED"} in listed["supplierLaunches"]
    [node] = [n for n in listed["supplierLaunchPage"]["nodes"] if n["id"] == launch["id"]]
    assert node["figures"] == {
        "seatsSold": 0,
        "seatsLeft": 5,
        "occupancyPercent": "0.0",
        "revenue": "0.00",
        "belowViabilityThreshold": False,
    }
    assert [(h["fromStatus"], h["toStatus"]) for h in node["statusHistory"]] == [
        (None, "SCHEDULED"),
        ("SCHEDULED", "CONFIRMED"),
        ("CONFIRMED", "DELAYED"),
    ]
    assert node["statusHistory"][-1]["reason"] == "range maintenance"
    assert invalid["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "it is DELAYED" in invalid["errors"][0]["message"]


def test_demo_supplier_sees_occupancy_of_its_flown_launches_and_their_manifest(
    platform: Gateway,
) -> None:
    token = platform.login(SUPPLIER, DEMO_PASSWORD)

    flown = _ok(platform, OWN_LAUNCH, {"status": "SUCCESSFUL"}, token)["supplierLaunchPage"]
    manifests = [
        _ok(
            platform,
            "query($l: ID!) { launchManifest(launchId: $l) { name seat } }",
            {"l": node["id"]},
            token,
        )["launchManifest"]
        for node in flown["nodes"]
    ]

    # The seed flies two launches of Orbital Horizons, one seat sold on each (the VIP's).
    assert len(flown["nodes"]) >= 2
    for node, manifest in zip(flown["nodes"], manifests, strict=True):
        assert node["figures"]["seatsSold"] >= 1
        assert Decimal(node["figures"]["occupancyPercent"]) > 0
        assert len(manifest) == node["figures"]["seatsSold"]


def _book(platform: Gateway, launch_id: str, seats: int) -> dict[str, Any]:
    customer = platform.login(CUSTOMER, DEMO_PASSWORD)
    in_catalog = wait_for(
        lambda: platform.post(
            "query($id: ID!) { launch(id: $id) { seatsLeft } }", {"id": launch_id}
        ),
        lambda body: ((body.get("data") or {}).get("launch") or {}).get("seatsLeft") is not None,
    )
    # The catalog sync must have brought the new launch into the read model by now.
    assert ((in_catalog.get("data") or {}).get("launch") or {}).get("seatsLeft") is not None, (
        in_catalog
    )
    passengers = [
        {"name": f"Crew {n}", "dateOfBirth": "1980-02-29", "email": f"crew{n}@example.com"}
        for n in range(seats)
    ]
    booked = platform.post(
        "mutation($input: BookSeatsInput!) { bookSeats(input: $input) { id status total } }",
        {"input": {"launchId": launch_id, "passengers": passengers}},
        customer,
    )
    assert "errors" not in booked, booked
    booking: dict[str, Any] = booked["data"]["bookSeats"]
    return booking


def test_aborting_a_booked_launch_refunds_every_booking_and_invoices_the_supplier(
    platform: Gateway,
) -> None:
    supplier = platform.login(SUPPLIER, DEMO_PASSWORD)
    finance = platform.login(FINANCE, DEMO_PASSWORD)
    launch = _schedule(platform, supplier, seats=6)
    booking = _book(platform, launch["id"], seats=2)
    recorded = wait_for(
        lambda: _ok(platform, OWN_BOOKINGS, {"l": launch["id"]}, supplier)["supplierBookings"],
        lambda page: [n["status"] for n in page["nodes"]] == ["CONFIRMED"],
    )
    assert [n["id"] for n in recorded["nodes"]] == [booking["id"]]

    aborted = _ok(
        platform,
        'mutation($id: ID!) { abortLaunch(id: $id, reason: "payload failure") { status } }',
        {"id": launch["id"]},
        supplier,
    )
    after = _ok(platform, OWN_BOOKINGS, {"l": launch["id"]}, supplier)["supplierBookings"]
    fees = _ok(
        platform,
        """query($s: ID!) { invoices(supplierId: $s, kind: ABORT_FEE, first: 100) {
             nodes { launchId amount recipient paymentStatus } } }""",
        {"s": DEMO_SUPPLIER_ID},
        finance,
    )["invoices"]["nodes"]

    assert aborted["abortLaunch"]["status"] == "ABORTED"
    [cancelled] = after["nodes"]
    total = Decimal("250001.00")  # 2 × 125 000.50
    assert (cancelled["status"], cancelled["cancelledBy"], cancelled["refundPercent"]) == (
        "CANCELLED",
        "abort",
        100,
    )
    assert Decimal(cancelled["refund"]["amount"]) == total == Decimal(cancelled["total"])
    assert {
        "launchId": launch["id"],
        "amount": "1000.00",
        "recipient": "Orbital Horizons",
        "paymentStatus": "UNPAID",
    } in fees


def test_aborting_a_launch_without_bookings_costs_the_supplier_the_flat_fee(
    platform: Gateway,
) -> None:
    supplier = platform.login(SUPPLIER, DEMO_PASSWORD)
    finance = platform.login(FINANCE, DEMO_PASSWORD)
    launch = _schedule(platform, supplier, seats=3, days=700)

    aborted = _ok(
        platform,
        'mutation($id: ID!) { abortLaunch(id: $id, reason: "no customers") { status } }',
        {"id": launch["id"]},
        supplier,
    )
    report = _ok(
        platform,
        "query($s: ID) { launchReport(supplierId: $s) { launchId revenue fees net } }",
        {"s": DEMO_SUPPLIER_ID},
        finance,
    )["launchReport"]

    assert aborted["abortLaunch"]["status"] == "ABORTED"
    assert {"launchId": launch["id"], "revenue": "0.00", "fees": "1000.00", "net": "-1000.00"} in (
        report
    )


def test_demo_finance_lists_launches_bookings_invoices_and_reads_reports(
    platform: Gateway,
) -> None:
    token = platform.login(FINANCE, DEMO_PASSWORD)
    year = datetime.now(UTC).year

    data = _ok(
        platform,
        """query($s: ID!, $y: Int!) {
             financeLaunches(supplierId: $s, status: SUCCESSFUL) {
               nodes { id figures { seatsSold revenue } } pageInfo { hasNextPage endCursor } }
             ledgerBookings(first: 50) {
               nodes { id status seats total paymentStatus launch { id } invoice { number } } }
             invoices(first: 5) { nodes { number kind amount paymentStatus }
                                  pageInfo { hasNextPage endCursor } }
             supplierReport { supplierName launches revenue fees net }
             yearReport(year: $y) { kind actual pending }
           }""",
        {"s": DEMO_SUPPLIER_ID, "y": year},
        token,
    )
    flown_ids = {node["id"] for node in data["financeLaunches"]["nodes"]}
    seeded = [b for b in data["ledgerBookings"]["nodes"] if b["launch"]["id"] in flown_ids]
    one = _ok(
        platform,
        "query($id: ID!) { ledgerBooking(id: $id) { id status passengers { name } } }",
        {"id": seeded[0]["id"]},
        token,
    )["ledgerBooking"]

    assert len(flown_ids) >= 2
    assert all(node["figures"]["seatsSold"] >= 1 for node in data["financeLaunches"]["nodes"])
    assert {b["status"] for b in seeded} == {"CONFIRMED"}
    assert one["id"] == seeded[0]["id"]
    assert len(one["passengers"]) >= 1
    assert {line["supplierName"] for line in data["supplierReport"]} >= {"Orbital Horizons"}
    for line in data["supplierReport"]:
        assert Decimal(line["net"]) == Decimal(line["revenue"]) - Decimal(line["fees"])
    assert [line["kind"] for line in data["yearReport"]] == [
        "BOOKING",
        "LAUNCH_FEE",
        "ABORT_FEE",
        "RECEIVED",
        "REFUND",
    ]
    assert len(data["invoices"]["nodes"]) <= 5


@pytest.mark.parametrize(
    "query",
    [
        "{ invoices { nodes { id } } }",
        "{ ledgerBookings { nodes { id } } }",
        "{ financeLaunches { nodes { id } } }",
        "{ supplierReport { net } }",
        "query { yearReport(year: 2026) { kind } }",
        'mutation { settlePayment(id: "00000000-0000-0000-0000-000000000000", status: COMPLETED) '
        "{ id } }",
    ],
)
def test_finance_fields_are_refused_to_customers_suppliers_and_visitors(
    platform: Gateway, query: str
) -> None:
    tokens = {
        "customer": platform.login(CUSTOMER, DEMO_PASSWORD),
        "supplier": platform.login(SUPPLIER, DEMO_PASSWORD),
        "visitor": None,
    }

    answers = {who: platform.post(query, None, token) for who, token in tokens.items()}

    for who, body in answers.items():
        assert body.get("errors"), (who, body)
        assert body["errors"][0]["extensions"]["code"] in REFUSED, (who, body)
        assert not any((body.get("data") or {}).values()), (who, body)
