"""The admin subgraph's GraphQL schema (Federation v2): launches, rockets, suppliers, spaceports.

Type and field names are a contract with the customer subgraph and the gateway.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from astro.errors import NotFound
from subgraphs.admin import resolvers, store
from subgraphs.admin.resolvers import AdminContext, LaunchPlan, maybe_id, parse_id
from subgraphs.admin.store import LaunchStatus, RocketRange
from subgraphs.serving import SubgraphSchema

# The ledger's enums are the GraphQL enums (strawberry.enum registers the class in place).
# No descriptions: the customer subgraph declares the identical LaunchStatus enum.
strawberry.enum(LaunchStatus)
strawberry.enum(RocketRange)

AdminInfo = Info[AdminContext, None]

log = logging.getLogger(__name__)


def _reference_id(value: str, type_name: str) -> uuid.UUID:
    parsed = maybe_id(value)
    if parsed is None:
        raise NotFound(f"No {type_name} with id {value!r}.")
    return parsed


@strawberry.federation.type(keys=["id"])
class Supplier:
    """A launch operator."""

    id: strawberry.ID
    name: str

    @classmethod
    def from_row(cls, row: store.Supplier) -> Supplier:
        return cls(id=strawberry.ID(str(row.id)), name=row.name)

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Supplier:
        row = await info.context.data.supplier.load(_reference_id(id, "supplier"))
        if row is None:
            raise NotFound(f"No supplier with id {id!r}.")
        return cls.from_row(row)


@strawberry.federation.type(keys=["id"])
class Spaceport:
    """A launch site."""

    id: strawberry.ID
    code: str
    name: str
    location: str

    @classmethod
    def from_row(cls, row: store.Spaceport) -> Spaceport:
        return cls(
            id=strawberry.ID(str(row.id)), code=row.code, name=row.name, location=row.location
        )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Spaceport:
        row = await info.context.data.spaceport.load(_reference_id(id, "spaceport"))
        if row is None:
            raise NotFound(f"No spaceport with id {id!r}.")
        return cls.from_row(row)


@strawberry.federation.type(keys=["id"])
class Rocket:
    """A supplier's rocket."""

    id: strawberry.ID
    name: str
    capacity: int
    range: RocketRange

    @classmethod
    def from_row(cls, row: store.Rocket) -> Rocket:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, capacity=row.capacity, range=row.range
        )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Rocket:
        row = await info.context.data.rocket.load(_reference_id(id, "rocket"))
        if row is None:
            raise NotFound(f"No rocket with id {id!r}.")
        return cls.from_row(row)


@strawberry.federation.type(keys=["id"])
class Launch:
    """A launch offering seats; owned here, extended by the customer subgraph."""

    id: strawberry.ID
    destination: str = strawberry.federation.field(shareable=True)
    launch_date: datetime = strawberry.federation.field(shareable=True)
    price_per_seat: Decimal = strawberry.federation.field(shareable=True)
    status: LaunchStatus = strawberry.federation.field(shareable=True)
    total_seats: int
    slug: str = strawberry.federation.field(shareable=True)
    rocket_id: strawberry.Private[uuid.UUID]
    supplier_id: strawberry.Private[uuid.UUID]
    spaceport_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: store.Launch) -> Launch:
        return cls(
            id=strawberry.ID(str(row.id)),
            destination=row.destination,
            launch_date=row.launch_date,
            price_per_seat=row.price_per_seat,
            status=row.status,
            total_seats=row.total_seats,
            slug=row.slug,
            rocket_id=row.rocket_id,
            supplier_id=row.supplier_id,
            spaceport_id=row.spaceport_id,
        )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Launch:
        row = await info.context.data.launch.load(_reference_id(id, "launch"))
        if row is None:
            raise NotFound(f"No launch with id {id!r}.")
        return cls.from_row(row)

    @strawberry.field
    async def rocket(self, info: AdminInfo) -> Rocket:
        row = await info.context.data.rocket.load(self.rocket_id)
        if row is None:  # only if the foreign key were broken
            raise NotFound(f"The rocket of launch {self.id} is missing.")
        return Rocket.from_row(row)

    @strawberry.field
    async def supplier(self, info: AdminInfo) -> Supplier:
        row = await info.context.data.supplier.load(self.supplier_id)
        if row is None:
            raise NotFound(f"The supplier of launch {self.id} is missing.")
        return Supplier.from_row(row)

    @strawberry.field
    async def spaceport(self, info: AdminInfo) -> Spaceport:
        row = await info.context.data.spaceport.load(self.spaceport_id)
        if row is None:
            raise NotFound(f"The spaceport of launch {self.id} is missing.")
        return Spaceport.from_row(row)


@strawberry.input
class ScheduleLaunchInput:
    """A new launch on one of the caller's rockets."""

    rocket_id: strawberry.ID
    spaceport_id: strawberry.ID
    destination: str
    launch_date: datetime = strawberry.field(
        description="More than a year ahead (configurable), with a timezone offset."
    )
    price_per_seat: Decimal = strawberry.field(description="Greater than 0, at most 2 decimals.")
    seats: int = strawberry.field(description="Seats on sale: at least 1, at most the capacity.")


@strawberry.input
class AddRocketInput:
    """A new rocket for the caller's supplier."""

    name: str
    capacity: int
    range: RocketRange


async def launch_by_id(info: AdminInfo, id: strawberry.ID) -> Launch | None:
    row = await info.context.data.launch.load(parse_id(id, "id"))
    if row is None:
        raise NotFound(f"No launch with id {id}.", field="id")
    return Launch.from_row(row)


async def own_launches(info: AdminInfo) -> list[Launch]:
    identity = info.context.require("supplier")
    rows = await resolvers.supplier_launches(info.context.db, identity)
    return [Launch.from_row(row) for row in rows]


async def own_rockets(info: AdminInfo) -> list[Rocket]:
    identity = info.context.require("supplier")
    rows = await resolvers.supplier_rockets(info.context.db, identity)
    return [Rocket.from_row(row) for row in rows]


async def every_spaceport(info: AdminInfo) -> list[Spaceport]:
    return [Spaceport.from_row(row) for row in await resolvers.all_spaceports(info.context.db)]


async def every_supplier(info: AdminInfo) -> list[Supplier]:
    info.context.require("finance", "admin")
    return [Supplier.from_row(row) for row in await resolvers.all_suppliers(info.context.db)]


async def schedule_launch(info: AdminInfo, input: ScheduleLaunchInput) -> Launch:
    context = info.context
    identity = context.require("supplier")
    plan = LaunchPlan(
        rocket_id=input.rocket_id,
        spaceport_id=input.spaceport_id,
        destination=input.destination,
        launch_date=input.launch_date,
        price_per_seat=input.price_per_seat,
        seats=input.seats,
    )
    parts = await resolvers.schedule_launch(context.db, context.settings, identity, plan)
    await resolvers.request_relay(context.queue, context.settings)
    context.data.rocket.prime(parts.rocket.id, parts.rocket)
    context.data.supplier.prime(parts.supplier.id, parts.supplier)
    context.data.spaceport.prime(parts.spaceport.id, parts.spaceport)
    return Launch.from_row(parts.launch)


async def add_rocket(info: AdminInfo, input: AddRocketInput) -> Rocket:
    identity = info.context.require("supplier")
    row = await resolvers.add_rocket(
        info.context.db, identity, name=input.name, capacity=input.capacity, range_=input.range
    )
    return Rocket.from_row(row)


@strawberry.type
class Query:
    launch: Launch | None = strawberry.field(
        resolver=launch_by_id, description="One launch by id; NOT_FOUND when there is none."
    )
    supplier_launches: list[Launch] = strawberry.federation.field(
        resolver=own_launches,
        requires_scopes=[["launches:own"]],
        description="The calling supplier's own launches, soonest first.",
    )
    rockets: list[Rocket] = strawberry.federation.field(
        resolver=own_rockets,
        requires_scopes=[["rockets:own"]],
        description="The calling supplier's own rockets.",
    )
    spaceports: list[Spaceport] = strawberry.field(
        resolver=every_spaceport, description="Every spaceport (public)."
    )
    suppliers: list[Supplier] = strawberry.federation.field(
        resolver=every_supplier,
        authenticated=True,
        description="Every supplier (finance and admin only).",
    )


@strawberry.type
class Mutation:
    schedule_launch: Launch = strawberry.federation.mutation(
        resolver=schedule_launch,
        requires_scopes=[["launches:own"]],
        description="Schedule a launch on one of the calling supplier's rockets.",
    )
    add_rocket: Rocket = strawberry.federation.mutation(
        resolver=add_rocket,
        requires_scopes=[["rockets:own"]],
        description="Add a rocket to the calling supplier.",
    )


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    types=[Launch, Rocket, Supplier, Spaceport],
)
