"""The ledger's outbox table behind :class:`astro.outbox.OutboxStore`, so that the one relay of
:mod:`astro.outbox` publishes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from astro import outbox
from subgraphs.admin.store import Database, OutboxEvent


@dataclass(frozen=True, slots=True)
class _LedgerClaim:
    session: AsyncSession
    events: Sequence[OutboxEvent]

    @property
    def rows(self) -> list[outbox.Outgoing]:
        return [
            outbox.Outgoing(str(event.event_id), event.topic, event.payload)
            for event in self.events
        ]

    async def mark_published(self) -> None:
        await self.session.execute(
            sa.update(OutboxEvent)
            .where(OutboxEvent.id.in_([event.id for event in self.events]))
            .values(published_at=sa.func.now())
        )


@dataclass(frozen=True, slots=True)
class LedgerOutbox:
    """The ledger's outbox table as an :class:`astro.outbox.OutboxStore`: a batch is claimed
    with ``FOR UPDATE SKIP LOCKED`` (relays may run side by side) and marked published in the
    transaction that enqueued it."""

    db: Database

    @asynccontextmanager
    async def claim(self, limit: int, topics: Collection[str]) -> AsyncIterator[_LedgerClaim]:
        async with self.db.sessions.begin() as session:
            events = (
                await session.scalars(
                    sa.select(OutboxEvent)
                    .where(OutboxEvent.published_at.is_(None), OutboxEvent.topic.in_(list(topics)))
                    .order_by(OutboxEvent.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            yield _LedgerClaim(session, events)
