"""The customer subgraph's GraphQL types: the public launch catalog (Federation v2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry.types import Info

from subgraphs.customer import resolvers
from subgraphs.customer.store import CatalogStatus, LaunchDoc
from subgraphs.serving import Context, SubgraphSchema

# strawberry.enum registers the GraphQL enum on the store's class itself and returns it. No
# description: shared types stay identical to the admin subgraph's, which owns the launch.
strawberry.enum(CatalogStatus, name="LaunchStatus")
LaunchStatus: TypeAlias = CatalogStatus


@strawberry.federation.type(keys=["id"])
class Launch:
    """A launch as the public catalog shows it: the admin subgraph owns it, this one adds seats."""

    id: strawberry.ID
    slug: str = strawberry.federation.field(shareable=True)
    seats_left: int = strawberry.field(description="Seats that can still be booked.")
    destination: str = strawberry.federation.field(shareable=True)
    launch_date: datetime = strawberry.federation.field(shareable=True)
    price_per_seat: Decimal = strawberry.federation.field(shareable=True)
    status: LaunchStatus = strawberry.federation.field(shareable=True)

    @classmethod
    def from_document(cls, launch: LaunchDoc) -> Launch:
        """The GraphQL view of a catalog entry."""
        return cls(
            id=strawberry.ID(launch.id),
            slug=launch.slug,
            seats_left=launch.seats_left,
            destination=launch.destination,
            launch_date=launch.launch_date,
            price_per_seat=launch.price_per_seat,
            status=launch.status,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Launch | None:
        """The catalog view of launch ``id``; null when the catalog does not hold it (yet)."""
        launch = await resolvers.launch_loader(info.context).load(str(id))
        return cls.from_document(launch) if launch is not None else None


async def _launches(
    destination: str | None = strawberry.UNSET,
    first: int | None = 20,
    after: str | None = strawberry.UNSET,
) -> list[Launch]:
    page = await resolvers.catalog_page(
        destination=destination or None,
        first=20 if first is None else first,
        after=None if after is strawberry.UNSET else after,
    )
    return [Launch.from_document(launch) for launch in page]


async def _launch_by_slug(slug: str) -> Launch | None:
    return Launch.from_document(await resolvers.launch_by_slug(slug))


@strawberry.type
class Query:
    launches: list[Launch] = strawberry.field(
        resolver=_launches,
        description=(
            "Upcoming launches that can be booked (scheduled, confirmed or delayed, with free "
            "seats), soonest first. `first` is 1..100; `after` continues after a launch: its "
            "cursor is the base64 of `<launchDate>|<id>` of the previous page's last launch."
        ),
    )
    launch_by_slug: Launch | None = strawberry.field(
        resolver=_launch_by_slug,
        description="The launch with this slug; a NOT_FOUND error if there is none.",
    )


schema = SubgraphSchema(query=Query)
