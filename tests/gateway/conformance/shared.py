"""Subgraphs for `@shareable` root fields and `@override`.

meteo:  Query.conditions @shareable → Conditions { temperature, wind { speed } } (value types)
sky:    Query.conditions @shareable → Conditions { seeing, wind { direction } }
legacy: Telescope @key(id) — status (overridden by ops), aperture; Query.legacyTelescopes
ops:    Telescope.status @override(from: "legacy"), Telescope.nickname @override(from: "ghost")
        (no subgraph is called ghost: the override is ignored)
"""

from __future__ import annotations

from typing import Any

import strawberry

# -- meteo -----------------------------------------------------------------------------------


@strawberry.federation.type(shareable=True, name="Wind")
class MeteoWind:
    speed: float


@strawberry.federation.type(shareable=True, name="Conditions")
class MeteoConditions:
    temperature: float
    wind: MeteoWind


@strawberry.type(name="Query")
class MeteoQuery:
    @strawberry.federation.field(shareable=True)
    def conditions(self, site: str) -> MeteoConditions:
        return MeteoConditions(
            temperature=-3.5 if site == "summit" else 12.0, wind=MeteoWind(speed=8.2)
        )


meteo = strawberry.federation.Schema(query=MeteoQuery)


# -- sky -------------------------------------------------------------------------------------


@strawberry.federation.type(shareable=True, name="Wind")
class SkyWind:
    direction: str


@strawberry.federation.type(shareable=True, name="Conditions")
class SkyConditions:
    seeing: float
    wind: SkyWind


@strawberry.type(name="Query")
class SkyQuery:
    @strawberry.federation.field(shareable=True)
    def conditions(self, site: str) -> SkyConditions:
        return SkyConditions(seeing=0.6 if site == "summit" else 1.4, wind=SkyWind(direction="NW"))


sky = strawberry.federation.Schema(query=SkyQuery)


# -- legacy ----------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Telescope")
class LegacyTelescope:
    id: strawberry.ID
    aperture: float
    status: str = "retired"  # stale: ops owns this field now

    @classmethod
    def resolve_reference(cls, **rep: Any) -> LegacyTelescope:
        return LegacyTelescope(id=rep["id"], aperture=2.5)


@strawberry.type(name="Query")
class LegacyQuery:
    @strawberry.field
    def legacy_telescopes(self) -> list[LegacyTelescope]:
        return [LegacyTelescope(id=strawberry.ID("t1"), aperture=2.5)]


legacy = strawberry.federation.Schema(query=LegacyQuery, types=[LegacyTelescope])


# -- ops -------------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Telescope")
class OpsTelescope:
    id: strawberry.ID
    status: str = strawberry.federation.field(override="legacy", default="operational")
    nickname: str = strawberry.federation.field(override="ghost", default="Old Faithful")

    @classmethod
    def resolve_reference(cls, **rep: Any) -> OpsTelescope:
        return OpsTelescope(id=rep["id"])


@strawberry.type(name="Query")
class OpsQuery:
    @strawberry.field
    def on_duty(self) -> list[OpsTelescope]:
        return [OpsTelescope(id=strawberry.ID("t1"))]


ops = strawberry.federation.Schema(query=OpsQuery, types=[OpsTelescope])


SCHEMAS = {"meteo": meteo, "sky": sky, "legacy": legacy, "ops": ops}
