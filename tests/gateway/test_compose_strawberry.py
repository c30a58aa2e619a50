"""The composer accepts SDL printed by Strawberry's Federation 2 schemas."""

from __future__ import annotations

import strawberry
import strawberry.federation
from graphql import parse, print_ast
from graphql.language import ObjectTypeDefinitionNode

from gateway.compose import Subgraph, compose


@strawberry.federation.type(keys=["id"], name="Launch")
class LaunchesLaunch:
    id: strawberry.ID
    mission: str = strawberry.federation.field(shareable=True)


@strawberry.type(name="Query")
class LaunchesQuery:
    @strawberry.field
    def launches(self) -> list[LaunchesLaunch]:
        return []


@strawberry.federation.type(keys=["id"], name="Launch")
class BookingsLaunch:
    id: strawberry.ID
    mission: str = strawberry.federation.field(shareable=True)
    seats_left: int = strawberry.federation.field(tags=["public"])


@strawberry.type
class Booking:
    code: str
    launch: BookingsLaunch


@strawberry.type(name="Query")
class BookingsQuery:
    @strawberry.field
    def bookings(self) -> list[Booking]:
        return []


def _launches_sdl() -> str:
    return strawberry.federation.Schema(query=LaunchesQuery).as_str()


def _bookings_sdl() -> str:
    return strawberry.federation.Schema(query=BookingsQuery).as_str()


def test_strawberry_federation_schemas_compose() -> None:
    launches, bookings = _launches_sdl(), _bookings_sdl()
    assert "https://specs.apollo.dev/federation/v2" in launches
    assert "_entities" in launches

    document = parse(
        compose(
            [
                Subgraph("launches", "http://launches/graphql", launches),
                Subgraph("bookings", "http://bookings/graphql", bookings),
            ]
        )
    )
    types = {
        d.name.value: d for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)
    }
    assert "_Service" not in types
    assert {f.name.value for f in types["Query"].fields or ()} == {"launches", "bookings"}
    launch = types["Launch"]
    assert [print_ast(d) for d in launch.directives or ()] == [
        '@join__type(graph: BOOKINGS, key: "id")',
        '@join__type(graph: LAUNCHES, key: "id")',
    ]
    fields = {f.name.value: [print_ast(d) for d in f.directives or ()] for f in launch.fields or ()}
    assert fields == {
        "id": [],
        "mission": [],
        "seatsLeft": ["@join__field(graph: BOOKINGS)", '@tag(name: "public")'],
    }
