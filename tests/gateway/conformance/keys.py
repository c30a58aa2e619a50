"""Subgraphs for entity keys: multiple, composite, nested, list-valued, non-resolvable, null.

registry:    Telescope @key(id) @key(serial); Telescope.operator → Astronomer (resolvable: false)
maintenance: Telescope @key(serial) — lastService
sites:       Telescope @key(id) — elevation; Query.summit (knows telescope ids only)
people:      Astronomer @key(id institute { id }) and @key(id); Query.astronomers
awards:      Astronomer @key(id institute { id }) — prizes
archive:     Plate @key(survey number), Mosaic @key(tiles), Star @key(hip) with a nullable hip
scans:       Plate.resolution, Mosaic.coverage, Star.parallax
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

# id → (serial, name, operator)
TELESCOPES: dict[str, tuple[str, str, str | None]] = {
    "t1": ("SN-001", "Hale", "a1"),
    "t2": ("SN-002", "Hooker", None),
}
LAST_SERVICE = {"SN-001": "2024-03-01", "SN-002": "2023-11-15"}
ELEVATION = {"t1": 1712, "t2": 1742}
ASTRONOMERS = {
    "a1": {"name": "Vera", "institute": "carnegie"},
    "a2": {"name": "Edwin", "institute": "mtwilson"},
}
INSTITUTES = {"carnegie": "Carnegie Institution", "mtwilson": "Mount Wilson"}
PRIZES = {("a1", "carnegie"): ["Bruce Medal"], ("a2", "mtwilson"): []}
PLATES = [("HAR", 1, 1890), ("HAR", 2, 1902), ("DASCH", 1, 1911)]
RESOLUTION = {("HAR", 1): 1.5, ("HAR", 2): 0.8, ("DASCH", 1): 2.0}
MOSAICS = {(1, 2, 3): "Orion", (4, 5): "Lyra"}
COVERAGE = {(1, 2, 3): 0.75, (4, 5): 0.5}
STARS = [(32349, "Sirius"), (None, "Unnamed Nova"), (71683, "Alpha Centauri")]
PARALLAX = {32349: 379.2, 71683: 754.8}


# -- registry --------------------------------------------------------------------------------


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)], name="Astronomer")
class RegistryAstronomer:
    id: strawberry.ID


@strawberry.federation.type(keys=["id", "serial"], name="Telescope")
class RegistryTelescope:
    id: strawberry.ID
    serial: str
    name: str
    operator: RegistryAstronomer | None

    @classmethod
    def resolve_reference(cls, **rep: Any) -> RegistryTelescope | None:
        if "id" in rep:
            return _registry_telescope(str(rep["id"]))
        for tid, (serial, _, _) in TELESCOPES.items():
            if serial == rep["serial"]:
                return _registry_telescope(tid)
        return None


def _registry_telescope(tid: str) -> RegistryTelescope:
    serial, name, op = TELESCOPES[tid]
    return RegistryTelescope(
        id=strawberry.ID(tid),
        serial=serial,
        name=name,
        operator=RegistryAstronomer(id=strawberry.ID(op)) if op else None,
    )


@strawberry.type(name="Query")
class RegistryQuery:
    @strawberry.field
    def telescopes(self) -> list[RegistryTelescope]:
        return [_registry_telescope(tid) for tid in TELESCOPES]


registry = strawberry.federation.Schema(query=RegistryQuery, types=[RegistryTelescope])


# -- maintenance -----------------------------------------------------------------------------


@strawberry.federation.type(keys=["serial"], name="Telescope")
class MaintenanceTelescope:
    serial: str

    @strawberry.field
    def last_service(self) -> str:
        return LAST_SERVICE[self.serial]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> MaintenanceTelescope:
        return MaintenanceTelescope(serial=rep["serial"])


@strawberry.type(name="Query")
class MaintenanceQuery:
    @strawberry.field
    def overdue(self) -> list[MaintenanceTelescope]:
        return []


maintenance = strawberry.federation.Schema(query=MaintenanceQuery, types=[MaintenanceTelescope])


# -- sites -----------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Telescope")
class SitesTelescope:
    id: strawberry.ID

    @strawberry.field
    def elevation(self) -> int:
        return ELEVATION[str(self.id)]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> SitesTelescope:
        return SitesTelescope(id=rep["id"])


@strawberry.type(name="Query")
class SitesQuery:
    @strawberry.field
    def summit(self) -> list[SitesTelescope]:
        return [SitesTelescope(id=strawberry.ID(tid)) for tid in sorted(ELEVATION)]


sites = strawberry.federation.Schema(query=SitesQuery, types=[SitesTelescope])


# -- people ----------------------------------------------------------------------------------


@strawberry.federation.type(shareable=True, name="Institute")
class PeopleInstitute:
    id: strawberry.ID
    name: str


@strawberry.federation.type(keys=["id institute { id }", "id"], name="Astronomer")
class PeopleAstronomer:
    id: strawberry.ID
    name: str
    institute: PeopleInstitute = strawberry.federation.field(shareable=True)

    @classmethod
    def resolve_reference(cls, **rep: Any) -> PeopleAstronomer:
        return _person(str(rep["id"]))


def _person(aid: str) -> PeopleAstronomer:
    a = ASTRONOMERS[aid]
    inst = a["institute"]
    return PeopleAstronomer(
        id=strawberry.ID(aid),
        name=a["name"],
        institute=PeopleInstitute(id=strawberry.ID(inst), name=INSTITUTES[inst]),
    )


@strawberry.type(name="Query")
class PeopleQuery:
    @strawberry.field
    def astronomers(self) -> list[PeopleAstronomer]:
        return [_person(aid) for aid in ASTRONOMERS]


people = strawberry.federation.Schema(query=PeopleQuery, types=[PeopleAstronomer])


# -- awards ----------------------------------------------------------------------------------


@strawberry.federation.type(shareable=True, name="Institute")
class AwardsInstitute:
    id: strawberry.ID


@strawberry.federation.type(keys=["id institute { id }"], name="Astronomer")
class AwardsAstronomer:
    id: strawberry.ID
    institute: AwardsInstitute = strawberry.federation.field(shareable=True)

    @strawberry.field
    def prizes(self) -> list[str]:
        return PRIZES[(str(self.id), str(self.institute.id))]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> AwardsAstronomer:
        inst = AwardsInstitute(id=strawberry.ID(rep["institute"]["id"]))
        return AwardsAstronomer(id=rep["id"], institute=inst)


@strawberry.type(name="Query")
class AwardsQuery:
    @strawberry.field
    def laureates(self) -> list[AwardsAstronomer]:
        return []


awards = strawberry.federation.Schema(query=AwardsQuery, types=[AwardsAstronomer])


# -- archive ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["survey number"], name="Plate")
class ArchivePlate:
    survey: str
    number: int
    year: int


@strawberry.federation.type(keys=["tiles"], name="Mosaic")
class ArchiveMosaic:
    tiles: list[int]
    title: str


@strawberry.federation.type(keys=["hip"], name="Star")
class ArchiveStar:
    hip: int | None
    name: str


@strawberry.type(name="Query")
class ArchiveQuery:
    @strawberry.field
    def plates(self) -> list[ArchivePlate]:
        return [ArchivePlate(survey=s, number=n, year=y) for s, n, y in PLATES]

    @strawberry.field
    def mosaics(self) -> list[ArchiveMosaic]:
        return [ArchiveMosaic(tiles=list(t), title=title) for t, title in MOSAICS.items()]

    @strawberry.field
    def stars(self) -> list[ArchiveStar]:
        return [ArchiveStar(hip=hip, name=name) for hip, name in STARS]


archive = strawberry.federation.Schema(query=ArchiveQuery)


# -- scans -----------------------------------------------------------------------------------


@strawberry.federation.type(keys=["survey number"], name="Plate")
class ScansPlate:
    survey: str
    number: int

    @strawberry.field
    def resolution(self) -> float:
        return RESOLUTION[(self.survey, self.number)]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> ScansPlate:
        return ScansPlate(survey=rep["survey"], number=rep["number"])


@strawberry.federation.type(keys=["tiles"], name="Mosaic")
class ScansMosaic:
    tiles: list[int]

    @strawberry.field
    def coverage(self) -> float:
        return COVERAGE[tuple(self.tiles)]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> ScansMosaic:
        return ScansMosaic(tiles=rep["tiles"])


@strawberry.federation.type(keys=["hip"], name="Star")
class ScansStar:
    hip: int | None

    @strawberry.field
    def parallax(self) -> float | None:
        return PARALLAX.get(self.hip) if self.hip is not None else None

    @classmethod
    def resolve_reference(cls, **rep: Any) -> ScansStar | None:
        return ScansStar(hip=rep["hip"]) if rep.get("hip") is not None else None


@strawberry.type(name="Query")
class ScansQuery:
    @strawberry.field
    def scanner_online(self) -> bool:
        return True


scans = strawberry.federation.Schema(query=ScansQuery, types=[ScansPlate, ScansMosaic, ScansStar])


SCHEMAS = {
    "registry": registry,
    "maintenance": maintenance,
    "sites": sites,
    "people": people,
    "awards": awards,
    "archive": archive,
    "scans": scans,
}
