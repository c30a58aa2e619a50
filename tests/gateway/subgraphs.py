"""Four small Strawberry Federation 2 subgraphs for the gateway tests.

missions: missions, crafts (interface), a serial mutation; provides Rocket.name
crew:     Mission.crewSize, Mission.loadPerCrew @requires(payloadKg), Astronaut by id
medical:  Astronaut by badge (a key chain: id → badge)
rockets:  Rocket and Probe details
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key

MISSIONS = {
    "m1": {"name": "Lunar Gateway", "payload": 1200.0, "commander": "a1", "rocket": "r1"},
    "m2": {"name": "Europa Lander", "payload": 300.0, "commander": "a2", "rocket": "r2"},
}
ASTRONAUTS = {"a1": {"badge": "B-100", "name": "Ada"}, "a2": {"badge": "B-200", "name": "Yuri"}}
FITNESS = {"B-100": "excellent", "B-200": "good"}
ROCKETS = {"r1": {"name": "Falcon", "thrust": 7600}, "r2": {"name": "Ariane", "thrust": 1340}}
CREW_SIZE = {"m1": 4, "m2": 2}
DIRECTORS = {"m1": "Gene"}  # m2 has none: a null in a non-null field

# Shared by the two mutation subgraphs so that the result depends on the execution order.
STEPS: list[str] = []


# -- missions --------------------------------------------------------------------------------


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)], name="Astronaut")
class MAstronaut:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Rocket")
class MRocket:
    id: strawberry.ID
    name: str = strawberry.federation.field(external=True)


@strawberry.federation.interface(name="Craft")
class Craft:
    id: strawberry.ID
    name: str


@strawberry.federation.type(keys=["id"])
class Capsule(Craft):
    seats: int


@strawberry.federation.type(keys=["id"], name="Probe")
class MProbe(Craft):
    pass


@strawberry.federation.type(keys=["id"])
class Mission:
    id: strawberry.ID
    name: str
    payload_kg: float
    commander: MAstronaut | None
    rocket: MRocket | None = strawberry.federation.field(provides=["name"])

    @classmethod
    def resolve_reference(cls, **rep: Any) -> Mission:
        return _mission(str(rep["id"]))


def _mission(mid: str) -> Mission:
    m = MISSIONS[mid]
    rocket_id = str(m["rocket"])
    return Mission(
        id=strawberry.ID(mid),
        name=str(m["name"]),
        payload_kg=float(m["payload"]),  # type: ignore[arg-type]
        commander=MAstronaut(id=strawberry.ID(str(m["commander"]))),
        rocket=MRocket(id=strawberry.ID(rocket_id), name=str(ROCKETS[rocket_id]["name"])),
    )


@strawberry.type
class MissionsQuery:
    @strawberry.field
    def missions(self) -> list[Mission]:
        return [_mission(mid) for mid in MISSIONS]

    @strawberry.field
    def mission(self, id: strawberry.ID) -> Mission | None:
        return _mission(str(id)) if str(id) in MISSIONS else None

    @strawberry.field
    def crafts(self) -> list[Craft]:
        return [
            Capsule(id=strawberry.ID("c1"), name="Orion", seats=4),
            MProbe(id=strawberry.ID("p1"), name="Voyager"),
        ]


@strawberry.type(name="Mutation")
class MissionsMutation:
    @strawberry.mutation
    def append_step(self, step: str) -> list[str]:
        STEPS.append(step)
        return list(STEPS)


missions_schema = strawberry.federation.Schema(
    query=MissionsQuery, mutation=MissionsMutation, types=[Capsule, MProbe]
)


# -- crew ------------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Mission")
class CMission:
    id: strawberry.ID
    payload_kg: float = strawberry.federation.field(external=True)

    @strawberry.field
    def crew_size(self) -> int:
        return CREW_SIZE[str(self.id)]

    @strawberry.federation.field(requires=["payloadKg"])
    def load_per_crew(self) -> float:
        return self.payload_kg / CREW_SIZE[str(self.id)]

    @strawberry.field
    def flight_director(self) -> str:
        return DIRECTORS.get(str(self.id))  # type: ignore[return-value]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> CMission:
        return CMission(id=rep["id"], payload_kg=float(rep.get("payloadKg") or 0.0))


@strawberry.federation.type(keys=["id"], name="Astronaut")
class CAstronaut:
    id: strawberry.ID
    badge: str = strawberry.federation.field(shareable=True)
    name: str

    @classmethod
    def resolve_reference(cls, **rep: Any) -> CAstronaut:
        return _astronaut(str(rep["id"]))


def _astronaut(aid: str) -> CAstronaut:
    a = ASTRONAUTS[aid]
    return CAstronaut(id=strawberry.ID(aid), badge=a["badge"], name=a["name"])


@strawberry.type
class CrewQuery:
    @strawberry.field
    def astronaut(self, id: strawberry.ID) -> CAstronaut | None:
        return _astronaut(str(id)) if str(id) in ASTRONAUTS else None

    @strawberry.field
    def whoami(self, info: strawberry.Info) -> str | None:
        """The Authorization header this subgraph received."""
        value: str | None = info.context["request"].headers.get("authorization")
        return value


@strawberry.type(name="Mutation")
class CrewMutation:
    @strawberry.mutation
    def double_steps(self) -> list[str]:
        STEPS.extend(list(STEPS))
        return list(STEPS)


crew_schema = strawberry.federation.Schema(
    query=CrewQuery, mutation=CrewMutation, types=[CMission, CAstronaut]
)


# -- medical ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["badge"], name="Astronaut")
class MedAstronaut:
    badge: str

    @strawberry.field
    def fitness(self) -> str:
        return FITNESS[self.badge]

    @classmethod
    def resolve_reference(cls, **rep: Any) -> MedAstronaut:
        return MedAstronaut(badge=rep["badge"])


@strawberry.type
class MedicalQuery:
    @strawberry.field
    def fitness_levels(self) -> list[str]:
        return sorted(set(FITNESS.values()))


medical_schema = strawberry.federation.Schema(query=MedicalQuery, types=[MedAstronaut])


# -- rockets ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class Rocket:
    id: strawberry.ID
    name: str
    thrust: int

    @classmethod
    def resolve_reference(cls, **rep: Any) -> Rocket:
        return _rocket(str(rep["id"]))


def _rocket(rid: str) -> Rocket:
    r = ROCKETS[rid]
    return Rocket(id=strawberry.ID(rid), name=str(r["name"]), thrust=int(r["thrust"]))


@strawberry.federation.type(keys=["id"])
class Probe:
    id: strawberry.ID

    @strawberry.field
    def instrument(self) -> str:
        return "magnetometer"

    @classmethod
    def resolve_reference(cls, **rep: Any) -> Probe:
        return Probe(id=rep["id"])


@strawberry.type
class RocketsQuery:
    @strawberry.field
    def rockets(self) -> list[Rocket]:
        return [_rocket(rid) for rid in ROCKETS]


rockets_schema = strawberry.federation.Schema(query=RocketsQuery, types=[Rocket, Probe])


SCHEMAS = {
    "missions": missions_schema,
    "crew": crew_schema,
    "medical": medical_schema,
    "rockets": rockets_schema,
}


class CountingApp:
    """Wraps an ASGI app and counts the GraphQL requests it receives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)


def build_apps() -> dict[str, CountingApp]:
    return {name: CountingApp(GraphQL(schema)) for name, schema in SCHEMAS.items()}
