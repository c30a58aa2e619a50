"""Subgraphs for abstract types: interfaces and unions whose members differ per subgraph, and
`@interfaceObject`.

optics:    interface Detector = Camera | Spectrograph; union Sighting = Comet | Asteroid
radio:     interface Detector = Receiver; union Sighting = Comet | Pulsar;
           Camera @key(id) (not a Detector here) adds Camera.frameRate
equipment: entity interface Equipment @key(id) = Mount | Dome (the owner of the real types)
upkeep:    Equipment @interfaceObject — hoursUsed on every implementation; Query.mostUsed
labels:    Equipment @interfaceObject @key(id, resolvable: false); Query.spotlight
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

EQUIPMENT = {"m1": ("Mount", "EQ6", 20), "d1": ("Dome", "North dome", 12)}
HOURS_USED = {"m1": 340, "d1": 1200, "x9": 5}


# -- optics ----------------------------------------------------------------------------------


@strawberry.interface(name="Detector")
class OpticsDetector:
    id: strawberry.ID
    name: str


@strawberry.federation.type(keys=["id"], name="Camera")
class OpticsCamera(OpticsDetector):
    pixels: int

    @classmethod
    def resolve_reference(cls, **rep: Any) -> OpticsCamera:
        return OpticsCamera(id=rep["id"], name="Wide-field camera", pixels=4096)


@strawberry.type(name="Spectrograph")
class OpticsSpectrograph(OpticsDetector):
    resolution: int


@strawberry.federation.type(keys=["id"], name="Comet")
class OpticsComet:
    id: strawberry.ID
    designation: str = strawberry.federation.field(shareable=True)


@strawberry.type(name="Asteroid")
class OpticsAsteroid:
    designation: str
    diameter_km: float


OpticsSighting = Annotated[OpticsComet | OpticsAsteroid, strawberry.union("Sighting")]


@strawberry.type(name="Query")
class OpticsQuery:
    @strawberry.field
    def detectors(self) -> list[OpticsDetector]:
        return [
            OpticsCamera(id=strawberry.ID("c1"), name="Wide-field camera", pixels=4096),
            OpticsSpectrograph(id=strawberry.ID("s1"), name="Echelle", resolution=50000),
        ]

    @strawberry.field
    def sightings(self) -> list[OpticsSighting]:
        return [
            OpticsComet(id=strawberry.ID("k1"), designation="1P/Halley"),
            OpticsAsteroid(designation="4 Vesta", diameter_km=525.4),
        ]


optics = strawberry.federation.Schema(
    query=OpticsQuery, types=[OpticsCamera, OpticsSpectrograph, OpticsAsteroid]
)


# -- radio -----------------------------------------------------------------------------------


@strawberry.interface(name="Detector")
class RadioDetector:
    id: strawberry.ID
    name: str


@strawberry.type(name="Receiver")
class RadioReceiver(RadioDetector):
    band: str


@strawberry.federation.type(keys=["id"], name="Camera")
class RadioCamera:
    id: strawberry.ID

    @strawberry.field
    def frame_rate(self) -> int:
        return 30

    @classmethod
    def resolve_reference(cls, **rep: Any) -> RadioCamera:
        return RadioCamera(id=rep["id"])


@strawberry.federation.type(keys=["id"], name="Comet")
class RadioComet:
    id: strawberry.ID
    designation: str = strawberry.federation.field(shareable=True)


@strawberry.type(name="Pulsar")
class RadioPulsar:
    designation: str
    period_ms: float


RadioSighting = Annotated[RadioComet | RadioPulsar, strawberry.union("Sighting")]


@strawberry.type(name="Query")
class RadioQuery:
    @strawberry.field
    def radio_detectors(self) -> list[RadioDetector]:
        return [RadioReceiver(id=strawberry.ID("r1"), name="L-band feed", band="L")]

    @strawberry.field
    def signals(self) -> list[RadioSighting]:
        return [
            RadioPulsar(designation="PSR B1919+21", period_ms=1337.3),
            RadioComet(id=strawberry.ID("k2"), designation="2P/Encke"),
        ]


radio = strawberry.federation.Schema(
    query=RadioQuery, types=[RadioReceiver, RadioCamera, RadioPulsar]
)


# -- equipment -------------------------------------------------------------------------------


@strawberry.federation.interface(keys=["id"], name="Equipment")
class Equipment:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, **rep: Any) -> Equipment:
        return _equipment(str(rep["id"]))


@strawberry.federation.type(keys=["id"])
class Mount(Equipment):
    payload_kg: int


@strawberry.federation.type(keys=["id"])
class Dome(Equipment):
    diameter_m: int


def _equipment(eid: str) -> Equipment:
    if eid not in EQUIPMENT:
        raise ValueError(f"No equipment {eid}")
    kind, name, size = EQUIPMENT[eid]
    if kind == "Mount":
        return Mount(id=strawberry.ID(eid), name=name, payload_kg=size)
    return Dome(id=strawberry.ID(eid), name=name, diameter_m=size)


@strawberry.type(name="Query")
class EquipmentQuery:
    @strawberry.field
    def equipment(self) -> list[Equipment]:
        return [_equipment(eid) for eid in EQUIPMENT]


equipment = strawberry.federation.Schema(query=EquipmentQuery, types=[Mount, Dome])


# -- upkeep ----------------------------------------------------------------------------------


@strawberry.federation.interface_object(keys=["id"], name="Equipment")
class UpkeepEquipment:
    id: strawberry.ID

    @strawberry.field
    def hours_used(self) -> int:
        return HOURS_USED[str(self.id)]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> UpkeepEquipment:
        return UpkeepEquipment(id=rep["id"])


@strawberry.type(name="Query")
class UpkeepQuery:
    @strawberry.field
    def most_used(self) -> UpkeepEquipment:
        return UpkeepEquipment(id=strawberry.ID("d1"))


upkeep = strawberry.federation.Schema(query=UpkeepQuery, types=[UpkeepEquipment])


# -- labels ----------------------------------------------------------------------------------


@strawberry.federation.interface_object(
    keys=[Key(fields=FieldSet("id"), resolvable=False)], name="Equipment"
)
class LabelsEquipment:
    id: strawberry.ID


@strawberry.type(name="Query")
class LabelsQuery:
    @strawberry.field
    def spotlight(self) -> list[LabelsEquipment | None]:
        # "x9" was decommissioned: the equipment subgraph no longer knows it.
        return [LabelsEquipment(id=strawberry.ID("m1")), LabelsEquipment(id=strawberry.ID("x9"))]


labels = strawberry.federation.Schema(query=LabelsQuery, types=[LabelsEquipment])


SCHEMAS = {
    "optics": optics,
    "radio": radio,
    "equipment": equipment,
    "upkeep": upkeep,
    "labels": labels,
}
