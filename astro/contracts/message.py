"""The message: what every contract between two subgraphs has in common.

A message crosses a subgraph boundary as a JSON payload (an outbox row, then an arq job's
argument). Its producer builds the model and sends :meth:`Message.payload`; its consumer parses the
same model with ``model_validate``, so the two sides cannot drift apart field by field.

``contract_version`` is the schema version of the contract, distinct from any ``version`` an
entity carries for ordering (a launch snapshot's). A payload written before the field existed reads
as version 1. A consumer refuses a version it does not know with a clear error instead of reading
fields that may have changed meaning: deploy consumers before the producer that bumps it.
Payloads only ever gain optional fields within a version; a consumer ignores fields it does not
read.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)


def _refuse_float(value: object) -> object:
    # Money travels as decimal strings; a float has already lost cents.
    if isinstance(value, float):
        raise ValueError("money must be a decimal string, not a float")
    return value


Money = Annotated[Decimal, BeforeValidator(_refuse_float)]
"""An amount of money: a ``Decimal``, a decimal string on the wire (never a float)."""

Instant = Annotated[
    AwareDatetime,
    PlainSerializer(
        lambda value: value.astimezone(UTC).isoformat(), return_type=str, when_used="json"
    ),
]
"""A moment with its time zone, ISO 8601 in UTC on the wire (``…+00:00``, as stored so far)."""


def new_event_id() -> str:
    """A fresh event id (a UUID, as text)."""
    return str(uuid.uuid4())


class Message(BaseModel):
    """A contract between subgraphs: ``event_id`` (the consumers' idempotency key), ``topic``
    (what happened; each subclass fixes its own) and ``contract_version``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # The topic of a subclass, read from its ``topic`` field's default.
    TOPIC: ClassVar[str] = ""

    contract_version: Literal[1] = 1
    event_id: str = Field(min_length=1)
    topic: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        default = cls.model_fields["topic"].default
        if isinstance(default, str):
            cls.TOPIC = default

    @model_validator(mode="before")
    @classmethod
    def _known_version(cls, data: object) -> object:
        # Checked before any field: another version's fields may mean something else.
        if not isinstance(data, dict):
            return data
        value = data.get("contract_version", 1)
        known = get_args(cls.model_fields["contract_version"].annotation)
        if value not in known or isinstance(value, bool):
            raise ValueError(
                f"unknown contract_version {value!r} of {cls.TOPIC or cls.__name__}: this "
                f"consumer reads version {', '.join(map(str, known))} (deploy it before the "
                "producer of a new version)"
            )
        return data

    def payload(self) -> dict[str, Any]:
        """The JSON payload of the message (money as decimal strings, instants as ISO text)."""
        return self.model_dump(mode="json")
