"""Group commit: calls that would each run a transaction on the same hot documents wait and
commit together, one transaction per group.

Used by the booking path (bookings of one launch all write its catalog document) and by the
booking sync (the ledger's confirmations). Whoever arrives while a group commits joins the next
one; the commit function answers every item, with a value or an exception of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

#: ``commit(key, items)``: one outcome per item, in order; raising fails the whole group.
Commit = Callable[[K, list[T]], Awaitable[list[R | Exception]]]


class GroupCommit(Generic[K, T, R]):
    """Groups the items submitted under one key while that key's previous group commits."""

    def __init__(self, commit: Commit[K, T, R]) -> None:
        self._commit = commit
        self._waiting: dict[K, list[tuple[T, asyncio.Future[R]]]] = {}
        self._drains: dict[K, asyncio.Task[None]] = {}

    async def submit(self, key: K, item: T) -> R:
        """Commit ``item`` in the next group of ``key``; its outcome (or its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.setdefault(key, []).append((item, future))
        drain = self._drains.get(key)
        if drain is None or drain.done() or drain.get_loop() is not loop:
            self._drains[key] = loop.create_task(self._drain(key))
        return await future

    async def _drain(self, key: K) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(0)  # let the callers of this tick join the group
                # Waiters of an event loop gone meanwhile (a test's) have no one to answer.
                group = [
                    (item, future)
                    for item, future in self._waiting.pop(key, [])
                    if future.get_loop() is loop
                ]
                if not group:
                    return
                try:
                    outcomes = await self._commit(key, [item for item, _ in group])
                except Exception as exc:
                    outcomes = [exc] * len(group)
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    if future.done():
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            # No await since the last look at the waiting list: nobody joined meanwhile.
            if self._drains.get(key) is asyncio.current_task():
                del self._drains[key]
