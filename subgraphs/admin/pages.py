"""Cursor pagination (keyset on a sort column plus ``id``): stable under inserts."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from astro.errors import BadUserInput

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows with the cursor of each row."""

    rows: list[tuple[str, T]]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.rows[-1][0] if self.rows else None


def encode_cursor(key: datetime, id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{key.isoformat()}|{id_}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        key, _, id_ = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(key), uuid.UUID(id_)
    except ValueError:
        raise BadUserInput(
            "after must be a cursor returned by this list (pageInfo.endCursor).", field="after"
        ) from None


async def paginate(
    session: AsyncSession,
    statement: sa.Select[Any],
    *,
    key: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[uuid.UUID],
    first: int,
    after: str | None,
    descending: bool = False,
) -> Page[T]:
    """The ``first`` rows of ``statement`` after cursor ``after``, ordered by (``key``, id)."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}; got {first}.", field="first")
    if after is not None:
        after_key, after_id = decode_cursor(after)
        position = sa.tuple_(key, id_column)
        bound = sa.tuple_(sa.literal(after_key), sa.literal(after_id))
        statement = statement.where(position < bound if descending else position > bound)
    order: list[Any] = [key.desc(), id_column.desc()] if descending else [key, id_column]
    rows: list[Any] = list(
        (await session.scalars(statement.order_by(*order).limit(first + 1))).all()
    )
    return Page(
        rows=[
            (encode_cursor(getattr(row, key.key), getattr(row, id_column.key)), row)
            for row in rows[:first]
        ],
        has_next_page=len(rows) > first,
    )
