"""Per-request DataLoaders: one ``WHERE id = ANY(:ids)`` query per batch and entity type."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from subgraphs.admin.store import Launch, Rocket, Spaceport, Supplier

_Row = TypeVar("_Row", Launch, Rocket, Spaceport, Supplier)


def _batch_by_id(
    sessions: async_sessionmaker[AsyncSession], model: type[_Row]
) -> Callable[[list[uuid.UUID]], Awaitable[Sequence[_Row | None]]]:
    async def load(ids: list[uuid.UUID]) -> Sequence[_Row | None]:
        ids_param = sa.bindparam("ids", ids, type_=ARRAY(sa.Uuid()))
        # A session per batch: batches of different types run concurrently, and an
        # AsyncSession must not be shared between concurrent tasks.
        async with sessions() as session:
            rows = (
                await session.scalars(sa.select(model).where(model.id == sa.any_(ids_param)))
            ).all()
        by_id = {row.id: row for row in rows}
        return [by_id.get(id_) for id_ in ids]

    return load


@dataclass(frozen=True, slots=True)
class AdminLoaders:
    """The loaders of one request; each returns ``None`` for an id that does not exist."""

    launch: DataLoader[uuid.UUID, Launch | None]
    rocket: DataLoader[uuid.UUID, Rocket | None]
    supplier: DataLoader[uuid.UUID, Supplier | None]
    spaceport: DataLoader[uuid.UUID, Spaceport | None]

    @classmethod
    def create(cls, sessions: async_sessionmaker[AsyncSession]) -> AdminLoaders:
        """Fresh loaders (and caches) for one request."""
        return cls(
            launch=DataLoader(_batch_by_id(sessions, Launch)),
            rocket=DataLoader(_batch_by_id(sessions, Rocket)),
            supplier=DataLoader(_batch_by_id(sessions, Supplier)),
            spaceport=DataLoader(_batch_by_id(sessions, Spaceport)),
        )
