"""The contracts between subgraphs: every message that crosses a subgraph boundary, as a model
both its producer and its consumer use (:mod:`.message`), and the jobs that carry them
(:mod:`.jobs`). ``docs/contracts.md`` tables them.

:data:`CONTRACTS` lists every message by topic: generated from the modules, so a new contract
cannot be left out of the round-trip tests.
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from astro.contracts import bookings, finance, launches
from astro.contracts.message import Message

_MODULES: tuple[ModuleType, ...] = (launches, bookings, finance)


def _contracts() -> dict[str, type[Message]]:
    found: dict[str, type[Message]] = {}
    for module in _MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Message) and value is not Message:
                if value.TOPIC in found and found[value.TOPIC] is not value:
                    raise RuntimeError(f"two contracts for topic {value.TOPIC}")
                found[value.TOPIC] = value
    return found


CONTRACTS: dict[str, type[Message]] = _contracts()


def parse(payload: dict[str, Any], *among: type[Message]) -> Message:
    """The message ``payload`` holds, read as whichever of ``among`` its topic names (any
    contract when ``among`` is empty).

    Raises ``pydantic.ValidationError`` for a topic not among them, a missing or malformed field
    or an unknown ``contract_version``.
    """
    message: Message = _reader(among or tuple(CONTRACTS.values())).validate_python(payload)
    return message


@lru_cache(maxsize=32)
def _reader(among: tuple[type[Message], ...]) -> TypeAdapter[Any]:
    if len(among) == 1:
        return TypeAdapter(among[0])
    # The topic picks the model: an unknown one fails as such, not as every model's misfit.
    union: Any = Annotated[Union[among], Field(discriminator="topic")]  # noqa: UP007
    return TypeAdapter(union)
