"""GraphQL operations of the booking tests, and launches to book."""

from __future__ import annotations

from typing import Any

from subgraphs.customer.jobs import apply_launch_event
from tests.subgraphs.customer.conftest import Caller, GraphQLClient
from tests.subgraphs.customer.factories import launch_event

BOOK = """
mutation($input: BookSeatsInput!) {
  bookSeats(input: $input) {
    id status seats unitPrice total createdAt
    passengers { name dateOfBirth email }
    launch { id seatsLeft status }
  }
}
"""

CANCEL = """
mutation($id: ID!) {
  cancelBooking(bookingId: $id) {
    id status cancelledAt refund { percent amount seatsReleased cancelledBy }
  }
}
"""

QUOTE = """
query($id: ID!) { refundQuote(bookingId: $id) { bookingId percent amount seatsReleased } }
"""


async def launch(**fields: Any) -> dict[str, Any]:
    """A launch put in the catalog by the sync; its payload."""
    event = launch_event(**fields)
    await apply_launch_event({}, event)
    payload: dict[str, Any] = event["launch"]
    return payload


async def book(
    api: GraphQLClient, caller: Caller, launch_id: str, people: list[dict[str, Any]]
) -> dict[str, Any]:
    """The answer to ``bookSeats``."""
    return await api(
        BOOK, {"input": {"launchId": launch_id, "passengers": people}}, token=caller.token
    )


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a failed operation."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert isinstance(error, dict)
    return error
