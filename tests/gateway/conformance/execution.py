"""Subgraphs for execution semantics: @skip/@include, serial mutations, null propagation,
errors.

logbook:  Observation @key(id) — target, exposureSeconds; Query.observation(id),
          observations: [Observation!], logbook: [Observation]!;
          Mutation.enqueue(target) → Request @key(id) { target position }
pipeline: Observation.flux @requires(exposureSeconds) (fails for o3: "detector saturated");
          Request.archived; Mutation.flush (archives the queue)
review:   Observation.grade: String! — o2 was never reviewed: its entity is null
"""

from __future__ import annotations

from typing import Any

import strawberry

OBSERVATIONS = {"o1": ("M31", 120), "o2": ("M42", 60), "o3": ("Crab", 300)}
GRADES = {"o1": "A", "o3": "B"}


class Queue:
    """Telescope time requests, shared by logbook and pipeline: mutation results depend on
    the order the gateway runs them in."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.archived: set[str] = set()
        self.issued = 0

    def reset(self) -> None:
        self.pending.clear()
        self.archived.clear()
        self.issued = 0


QUEUE = Queue()


# -- logbook ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Observation")
class LogObservation:
    id: strawberry.ID
    target: str
    exposure_seconds: int


def _observation(oid: str) -> LogObservation:
    target, exposure = OBSERVATIONS[oid]
    return LogObservation(id=strawberry.ID(oid), target=target, exposure_seconds=exposure)


@strawberry.federation.type(keys=["id"], name="Request")
class LogRequest:
    id: strawberry.ID
    target: str
    position: int


@strawberry.type(name="Query")
class LogbookQuery:
    @strawberry.field
    def observation(self, id: strawberry.ID) -> LogObservation | None:
        if str(id) not in OBSERVATIONS:
            raise ValueError(f"No observation {id}")
        return _observation(str(id))

    @strawberry.field
    def observations(self) -> list[LogObservation] | None:
        return [_observation(oid) for oid in OBSERVATIONS]

    @strawberry.field
    def logbook(self) -> list[LogObservation | None]:
        return [_observation(oid) for oid in OBSERVATIONS]


@strawberry.type(name="Mutation")
class LogbookMutation:
    @strawberry.mutation
    def enqueue(self, target: str) -> LogRequest:
        QUEUE.issued += 1
        rid = f"r{QUEUE.issued}"
        QUEUE.pending.append(rid)
        return LogRequest(id=strawberry.ID(rid), target=target, position=len(QUEUE.pending))


logbook = strawberry.federation.Schema(
    query=LogbookQuery, mutation=LogbookMutation, types=[LogRequest]
)


# -- pipeline --------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Observation")
class PipeObservation:
    id: strawberry.ID
    exposure_seconds: int = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["exposureSeconds"])
    def flux(self) -> int | None:
        if str(self.id) == "o3":
            raise ValueError("detector saturated")
        return self.exposure_seconds * 10

    @classmethod
    def resolve_reference(cls, **rep: Any) -> PipeObservation:
        return PipeObservation(id=rep["id"], exposure_seconds=rep["exposureSeconds"])


@strawberry.federation.type(keys=["id"], name="Request")
class PipeRequest:
    id: strawberry.ID

    @strawberry.field
    def archived(self) -> bool:
        return str(self.id) in QUEUE.archived

    @classmethod
    def resolve_reference(cls, **rep: Any) -> PipeRequest:
        return PipeRequest(id=rep["id"])


@strawberry.type(name="Query")
class PipelineQuery:
    @strawberry.field
    def pipeline_version(self) -> str:
        return "2.1"


@strawberry.type(name="Mutation")
class PipelineMutation:
    @strawberry.mutation
    def flush(self) -> int:
        count = len(QUEUE.pending)
        QUEUE.archived.update(QUEUE.pending)
        QUEUE.pending.clear()
        return count


pipeline = strawberry.federation.Schema(
    query=PipelineQuery, mutation=PipelineMutation, types=[PipeObservation, PipeRequest]
)


# -- review ----------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Observation")
class ReviewObservation:
    id: strawberry.ID
    grade: str

    @classmethod
    def resolve_reference(cls, **rep: Any) -> ReviewObservation | None:
        oid = str(rep["id"])
        return ReviewObservation(id=rep["id"], grade=GRADES[oid]) if oid in GRADES else None


@strawberry.type(name="Query")
class ReviewQuery:
    @strawberry.field
    def reviewers(self) -> list[str]:
        return ["Henrietta"]


review = strawberry.federation.Schema(query=ReviewQuery, types=[ReviewObservation])


SCHEMAS = {"logbook": logbook, "pipeline": pipeline, "review": review}
