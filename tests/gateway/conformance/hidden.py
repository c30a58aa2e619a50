"""Subgraphs for `@inaccessible` enum values, arguments and input fields, and the
intersection of input-object fields across subgraphs.

catalog: enum Band { OPTICAL RADIO XRAY @inaccessible };
         input StarFilter { minMagnitude constellation internalFlag @inaccessible };
         Query.stars(filter:, secret: @inaccessible), observedIn(band:), primaryBand, bands
stellar: input StarFilter { minMagnitude internalFlag } (no constellation); Query.nearby(filter:)
"""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

STARS = {"Vega": 0.03, "Deneb": 1.25, "Albireo": 3.1}
NEARBY = {"Proxima Centauri": 11.1, "Sirius": -1.46}


# -- catalog ---------------------------------------------------------------------------------


@strawberry.federation.enum(name="Band")
class Band(enum.Enum):
    OPTICAL = "OPTICAL"
    RADIO = "RADIO"
    XRAY = strawberry.federation.enum_value("XRAY", inaccessible=True)


@strawberry.federation.input(name="StarFilter")
class CatalogStarFilter:
    min_magnitude: float | None = None
    constellation: str | None = None
    internal_flag: bool | None = strawberry.federation.field(default=None, inaccessible=True)


def _brighter(stars: dict[str, float], limit: float | None) -> list[str]:
    return [name for name, mag in stars.items() if limit is None or mag <= limit]


@strawberry.type(name="Query")
class CatalogQuery:
    @strawberry.field
    def stars(
        self,
        filter: CatalogStarFilter | None = None,
        secret: Annotated[str | None, strawberry.federation.argument(inaccessible=True)] = None,
    ) -> list[str]:
        return _brighter(STARS, filter.min_magnitude if filter else None)

    @strawberry.field
    def observed_in(self, band: Band) -> list[str]:
        return {"OPTICAL": ["Vega"], "RADIO": ["Sgr A*"], "XRAY": ["Cyg X-1"]}[band.value]

    @strawberry.field
    def primary_band(self) -> Band | None:
        return Band.XRAY

    @strawberry.field
    def bands(self) -> list[Band | None]:
        return [Band.OPTICAL, Band.XRAY, Band.RADIO]


catalog = strawberry.federation.Schema(query=CatalogQuery)


# -- stellar ---------------------------------------------------------------------------------


@strawberry.federation.input(name="StarFilter")
class StellarStarFilter:
    min_magnitude: float | None = None
    internal_flag: bool | None = None


@strawberry.type(name="Query")
class StellarQuery:
    @strawberry.field
    def nearby(self, filter: StellarStarFilter | None = None) -> list[str]:
        return _brighter(NEARBY, filter.min_magnitude if filter else None)


stellar = strawberry.federation.Schema(query=StellarQuery)


SCHEMAS = {"catalog": catalog, "stellar": stellar}
