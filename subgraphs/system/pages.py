"""Cursor pagination on MongoDB (keyset on the sort fields, the last being ``_id``): the same
``first``/``after`` connections as the admin subgraph's, stable under inserts, where an offset
would skip or repeat rows as new ones arrive at the head."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import orjson
from beanie import Document, SortDirection
from beanie.odm.queries.find import FindMany

from astro.errors import BadUserInput

DocumentT = TypeVar("DocumentT", bound=Document)
MAX_PAGE = 200

Kind = Literal["datetime", "int", "str"]


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort field: its MongoDB name, its attribute, its direction and its value's kind."""

    field: str
    attribute: str
    descending: bool
    kind: Kind


@dataclass(frozen=True, slots=True)
class Page(Generic[DocumentT]):
    """One page of documents with the cursor of each."""

    rows: list[tuple[str, DocumentT]]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.rows[-1][0] if self.rows else None


def _bad_cursor() -> BadUserInput:
    return BadUserInput(
        "after must be a cursor returned by this list (pageInfo.endCursor).", field="after"
    )


def _encode(keys: tuple[SortKey, ...], document: Document) -> str:
    values = []
    for key in keys:
        value = getattr(document, key.attribute)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode()


def _decode(keys: tuple[SortKey, ...], cursor: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise _bad_cursor()
        decoded: list[Any] = []
        for key, value in zip(keys, values, strict=True):
            if key.kind == "datetime":
                decoded.append(datetime.fromisoformat(value))
            elif key.kind == "int" and isinstance(value, int):
                decoded.append(value)
            elif key.kind == "str" and isinstance(value, str):
                decoded.append(value)
            else:
                raise _bad_cursor()
        return decoded
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise _bad_cursor() from None


def _after(keys: tuple[SortKey, ...], values: list[Any]) -> dict[str, Any]:
    """The filter "past this position": (k1 past v1) or (k1 = v1 and k2 past v2) or …"""
    clauses = []
    for index, key in enumerate(keys):
        clause = {earlier.field: values[i] for i, earlier in enumerate(keys[:index])}
        clause[key.field] = {"$lt" if key.descending else "$gt": values[index]}
        clauses.append(clause)
    return {"$or": clauses}


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}; got {first}.", field="first")


async def paginate(
    model: type[DocumentT],
    query: dict[str, Any],
    keys: tuple[SortKey, ...],
    *,
    first: int,
    after: str | None,
) -> Page[DocumentT]:
    """The ``first`` documents of ``query`` past cursor ``after``, ordered by ``keys``."""
    check_first(first)
    if after is not None:
        query = {"$and": [query, _after(keys, _decode(keys, after))]}
    sort = [
        (key.field, SortDirection.DESCENDING if key.descending else SortDirection.ASCENDING)
        for key in keys
    ]
    found: FindMany[DocumentT] = model.find(query).sort(sort).limit(first + 1)
    documents = await found.to_list()
    return Page(
        rows=[(_encode(keys, doc), doc) for doc in documents[:first]],
        has_next_page=len(documents) > first,
    )
