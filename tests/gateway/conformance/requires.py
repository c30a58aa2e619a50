"""Subgraphs for `@requires`: chains, a cycle, fragments on an interface field, arguments.

observations: Observation @key(id) — exposureSeconds, target (interface Target: Star | Galaxy),
              duration(unit:), calibrated @requires(flux) — the cycle back from photometry
photometry:   Observation.flux @requires(exposureSeconds)
quality:      Observation.snr @requires(flux) — a chain over three subgraphs
scheduler:    Observation.difficulty @requires(target { ... on Star {…} ... on Galaxy {…} })
billing:      Observation.cost @requires(duration(unit: "HOURS")),
              Observation.overhead @requires(duration(unit: "SECONDS"))
"""

from __future__ import annotations

import math
from typing import Any

import strawberry

# id → (exposure in seconds, duration in minutes, target type, target id)
OBSERVATIONS: dict[str, tuple[int, float, str, str]] = {
    "o1": (120, 90.0, "Star", "s1"),
    "o2": (600, 30.0, "Galaxy", "g1"),
}
MAGNITUDE = {"s1": 4.5}
REDSHIFT = {"g1": 0.25}
# counts per second of exposure
RATE = {"o1": 10, "o2": 3}
HOURLY_RATE = 100.0

_UNITS = {"SECONDS": 60.0, "MINUTES": 1.0, "HOURS": 1 / 60}


# -- observations ----------------------------------------------------------------------------


@strawberry.federation.interface(keys=["id"], name="Target")
class ObsTarget:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Star")
class ObsStar(ObsTarget):
    magnitude: float


@strawberry.federation.type(keys=["id"], name="Galaxy")
class ObsGalaxy(ObsTarget):
    redshift: float


@strawberry.federation.type(keys=["id"], name="Observation")
class ObsObservation:
    id: strawberry.ID
    exposure_seconds: int
    target: ObsTarget
    flux: int = strawberry.federation.field(external=True)

    @strawberry.field
    def duration(self, unit: str) -> float:
        return OBSERVATIONS[str(self.id)][1] * _UNITS[unit]

    @strawberry.federation.field(requires=["flux"])
    def calibrated(self) -> float:
        return self.flux / 2

    @classmethod
    def resolve_reference(cls, **rep: Any) -> ObsObservation:
        o = _observation(str(rep["id"]))
        o.flux = int(rep.get("flux") or 0)
        return o


def _observation(oid: str) -> ObsObservation:
    exposure, _, kind, tid = OBSERVATIONS[oid]
    target: ObsTarget
    if kind == "Star":
        target = ObsStar(id=strawberry.ID(tid), magnitude=MAGNITUDE[tid])
    else:
        target = ObsGalaxy(id=strawberry.ID(tid), redshift=REDSHIFT[tid])
    return ObsObservation(
        id=strawberry.ID(oid),
        exposure_seconds=exposure,
        target=target,
        flux=0,
    )


@strawberry.type(name="Query")
class ObservationsQuery:
    @strawberry.field
    def observations(self) -> list[ObsObservation]:
        return [_observation(oid) for oid in OBSERVATIONS]


observations = strawberry.federation.Schema(query=ObservationsQuery, types=[ObsStar, ObsGalaxy])


# -- photometry ------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Observation")
class PhotObservation:
    id: strawberry.ID
    exposure_seconds: int = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["exposureSeconds"])
    def flux(self) -> int:
        return self.exposure_seconds * RATE[str(self.id)]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> PhotObservation:
        return PhotObservation(id=rep["id"], exposure_seconds=rep["exposureSeconds"])


@strawberry.type(name="Query")
class PhotometryQuery:
    @strawberry.field
    def detector_gain(self) -> float:
        return 1.0


photometry = strawberry.federation.Schema(query=PhotometryQuery, types=[PhotObservation])


# -- quality ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Observation")
class QualityObservation:
    id: strawberry.ID
    flux: int = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["flux"])
    def snr(self) -> float:
        return round(math.sqrt(self.flux), 2)

    @classmethod
    def resolve_reference(cls, **rep: Any) -> QualityObservation:
        return QualityObservation(id=rep["id"], flux=rep["flux"])


@strawberry.type(name="Query")
class QualityQuery:
    @strawberry.field
    def quality_threshold(self) -> float:
        return 5.0


quality = strawberry.federation.Schema(query=QualityQuery, types=[QualityObservation])


# -- scheduler -------------------------------------------------------------------------------


@strawberry.federation.interface(keys=["id"], name="Target")
class SchedTarget:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Star")
class SchedStar(SchedTarget):
    magnitude: float = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"], name="Galaxy")
class SchedGalaxy(SchedTarget):
    redshift: float = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"], name="Observation")
class SchedObservation:
    id: strawberry.ID
    target: SchedTarget = strawberry.federation.field(external=True)

    @strawberry.federation.field(
        requires=["target { ... on Star { magnitude } ... on Galaxy { redshift } }"]
    )
    def difficulty(self) -> str:
        return self._difficulty

    _difficulty: strawberry.Private[str] = ""

    @classmethod
    def resolve_reference(cls, **rep: Any) -> SchedObservation:
        target = rep["target"]
        if target["__typename"] == "Star":
            text = f"star of magnitude {target['magnitude']}"
        else:
            text = f"galaxy at redshift {target['redshift']}"
        obs = SchedObservation(id=rep["id"], target=SchedTarget(id=target.get("id", "")))
        obs._difficulty = text
        return obs


@strawberry.type(name="Query")
class SchedulerQuery:
    @strawberry.field
    def queue_length(self) -> int:
        return 0


scheduler = strawberry.federation.Schema(
    query=SchedulerQuery, types=[SchedObservation, SchedStar, SchedGalaxy]
)


# -- billing ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Observation")
class BillingObservation:
    id: strawberry.ID
    _duration: strawberry.Private[float]

    @strawberry.federation.field(external=True)
    def duration(self, unit: str) -> float:
        return self._duration

    @strawberry.federation.field(requires=['duration(unit: "HOURS")'])
    def cost(self) -> float:
        return round(self._duration * HOURLY_RATE, 2)

    @strawberry.federation.field(requires=['duration(unit: "SECONDS")'])
    def overhead(self) -> str:
        return f"{self._duration:.0f} s"

    @classmethod
    def resolve_reference(cls, **rep: Any) -> BillingObservation:
        return BillingObservation(id=rep["id"], _duration=float(rep["duration"]))


@strawberry.type(name="Query")
class BillingQuery:
    @strawberry.field
    def currency(self) -> str:
        return "EUR"


billing = strawberry.federation.Schema(query=BillingQuery, types=[BillingObservation])


SCHEMAS = {
    "observations": observations,
    "photometry": photometry,
    "quality": quality,
    "scheduler": scheduler,
    "billing": billing,
}
