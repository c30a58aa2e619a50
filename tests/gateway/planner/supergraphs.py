"""Fixture supergraphs, one per federation feature, composed from small subgraph SDLs.

Each is as small as the feature allows, so its plan snapshot reads at a glance.
"""

from __future__ import annotations

from functools import cache

from gateway.compose import Subgraph, compose

__all__ = [
    "abstract_types",
    "entity_jump",
    "interface_object",
    "key_chain",
    "mutations",
    "override",
    "provides",
    "requires",
    "requires_with_arguments",
    "shared_root",
]

_FEDERATION = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: '
    '["@key", "@shareable", "@external", "@requires", "@provides", "@interfaceObject", '
    '"@override"])\n'
)


def _compose(**sdls: str) -> str:
    return compose(
        [
            Subgraph(name=name, url=f"http://{name}.test/graphql", sdl=_FEDERATION + sdl)
            for name, sdl in sdls.items()
        ]
    )


@cache
def entity_jump() -> str:
    """`User` and `Product` are entities (`@key`) spread over three subgraphs."""
    return _compose(
        accounts="""
            type Query { me: User }
            type User @key(fields: "id") { id: ID! name: String }
        """,
        reviews="""
            type User @key(fields: "id") { id: ID! reviews: [Review!]! }
            type Review { body: String! product: Product }
            type Product @key(fields: "upc", resolvable: false) { upc: ID! }
        """,
        products="""
            type Query { topProducts: [Product!]! }
            type Product @key(fields: "upc") { upc: ID! name: String price: Int }
        """,
    )


@cache
def requires() -> str:
    """`shippingEstimate` needs `weight` and `size { volume }`, which another subgraph owns."""
    return _compose(
        products="""
            type Query { topProducts: [Product!]! }
            type Product @key(fields: "upc") { upc: ID! name: String weight: Int size: Size }
            type Size @shareable { volume: Int }
        """,
        shipping="""
            type Product @key(fields: "upc") {
                upc: ID!
                weight: Int @external
                size: Size @external
                shippingEstimate: Int @requires(fields: "weight size { volume }")
            }
            type Size @shareable { volume: Int }
        """,
    )


@cache
def provides() -> str:
    """`Review.author` provides the author's `username`, owned by accounts."""
    return _compose(
        reviews="""
            type Query { reviews: [Review!]! }
            type Review { body: String author: User @provides(fields: "username") }
            type User @key(fields: "id") { id: ID! username: String @external }
        """,
        accounts="""
            type User @key(fields: "id") { id: ID! username: String birthday: String }
        """,
    )


@cache
def interface_object() -> str:
    """`Media` is an interface in inventory and an `@interfaceObject` in ratings."""
    return _compose(
        inventory="""
            type Query { media: [Media!]! }
            interface Media @key(fields: "id") { id: ID! title: String }
            type Book implements Media @key(fields: "id") { id: ID! title: String pages: Int }
            type Movie implements Media @key(fields: "id") {
                id: ID!
                title: String
                minutes: Int
            }
        """,
        ratings="""
            type Query { topRated: [Media!]! }
            type Media @key(fields: "id") @interfaceObject { id: ID! stars: Int }
        """,
    )


@cache
def abstract_types() -> str:
    """A union and an interface whose members are entities of several subgraphs."""
    return _compose(
        catalog="""
            type Query { search: [Result!]! vehicles: [Vehicle!]! }
            union Result = Rocket | Rover
            interface Vehicle { id: ID! name: String }
            type Rocket implements Vehicle @key(fields: "id") { id: ID! name: String }
            type Rover implements Vehicle @key(fields: "id") { id: ID! name: String }
        """,
        specs="""
            type Rocket @key(fields: "id") { id: ID! thrust: Int }
            type Rover @key(fields: "id") { id: ID! wheels: Int }
        """,
    )


@cache
def mutations() -> str:
    """Mutation root fields in two subgraphs, returning entities of a third."""
    return _compose(
        bookings="""
            type Query { booking(id: ID!): Booking }
            type Mutation { book(flight: ID!): Booking! }
            type Booking @key(fields: "id") { id: ID! flight: Flight! }
            type Flight @key(fields: "id", resolvable: false) { id: ID! }
        """,
        payments="""
            type Mutation { pay(booking: ID!): Payment! }
            type Payment { id: ID! amount: Int }
        """,
        flights="""
            type Query { flight(id: ID!): Flight }
            type Flight @key(fields: "id") { id: ID! name: String }
        """,
    )


@cache
def key_chain() -> str:
    """`User` has key `id` in accounts, `id` and `email` in profiles, `email` in mail: mail
    is reached through profiles."""
    return _compose(
        accounts="""
            type Query { me: User }
            type User @key(fields: "id") { id: ID! name: String }
        """,
        profiles="""
            type User @key(fields: "id") @key(fields: "email") { id: ID! email: String! }
        """,
        mail="""
            type User @key(fields: "email") { email: String! unread: Int }
        """,
    )


@cache
def requires_with_arguments() -> str:
    """`tax` requires `price(currency: "USD")`; the user may ask another currency."""
    return _compose(
        products="""
            type Query { topProducts: [Product!]! }
            type Product @key(fields: "upc") { upc: ID! price(currency: String!): Int }
        """,
        taxes="""
            type Product @key(fields: "upc") {
                upc: ID!
                price(currency: String!): Int @external
                tax: Int @requires(fields: "price(currency: \\"USD\\")")
            }
        """,
    )


@cache
def shared_root() -> str:
    """A `@shareable` root field whose value type has different fields in two subgraphs."""
    return _compose(
        weather="""
            type Query { station: Station @shareable }
            type Station @shareable { name: String temperature: Int }
        """,
        air="""
            type Query { station: Station @shareable }
            type Station @shareable { name: String pollen: Int }
        """,
    )


@cache
def override() -> str:
    """`Flight.status` moved from legacy to ops with `@override`."""
    return _compose(
        legacy="""
            type Query { flights: [Flight!]! }
            type Flight @key(fields: "id") { id: ID! code: String status: String }
        """,
        ops="""
            type Flight @key(fields: "id") { id: ID! status: String @override(from: "legacy") }
        """,
    )
