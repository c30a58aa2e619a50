"""Per-request DataLoaders: one ``WHERE … = ANY(:ids)`` query per batch and kind of row.

Lists (launches, bookings) resolve their nested fields through these, so a page of N rows costs
one query per nested field, not N.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from subgraphs.admin.figures import LaunchFigures, launch_figures
from subgraphs.admin.store import (
    Invoice,
    InvoiceKind,
    Launch,
    LaunchStatusHistory,
    MoneyStatus,
    Passenger,
    Payment,
    Refund,
    Rocket,
    Spaceport,
    Supplier,
)

_Row = TypeVar("_Row", Launch, Rocket, Spaceport, Supplier)

Sessions = async_sessionmaker[AsyncSession]


def _ids(ids: Sequence[uuid.UUID]) -> sa.BindParameter[Any]:
    values: Any = list(ids)
    return sa.bindparam("ids", values, type_=ARRAY(sa.Uuid()))


async def _scalars(sessions: Sessions, statement: sa.Select[Any]) -> list[Any]:
    # A session per batch: batches of different types run concurrently, and an
    # AsyncSession must not be shared between concurrent tasks.
    async with sessions() as session:
        return list((await session.scalars(statement)).all())


def _batch_by_id(
    sessions: Sessions, model: type[_Row]
) -> Callable[[list[uuid.UUID]], Awaitable[Sequence[_Row | None]]]:
    async def load(ids: list[uuid.UUID]) -> Sequence[_Row | None]:
        rows = await _scalars(sessions, sa.select(model).where(model.id == sa.any_(_ids(ids))))
        by_id = {row.id: row for row in rows}
        return [by_id.get(id_) for id_ in ids]

    return load


def _supplier_by_user(
    sessions: Sessions,
) -> Callable[[list[uuid.UUID]], Awaitable[list[Supplier | None]]]:
    async def load(user_ids: list[uuid.UUID]) -> list[Supplier | None]:
        rows: list[Supplier] = await _scalars(
            sessions, sa.select(Supplier).where(Supplier.user_id == sa.any_(_ids(user_ids)))
        )
        by_user = {row.user_id: row for row in rows}
        return [by_user.get(id_) for id_ in user_ids]

    return load


def _passengers(
    sessions: Sessions,
) -> Callable[[list[uuid.UUID]], Awaitable[list[list[Passenger]]]]:
    async def load(booking_ids: list[uuid.UUID]) -> list[list[Passenger]]:
        rows: list[Passenger] = await _scalars(
            sessions,
            sa.select(Passenger)
            .where(Passenger.booking_id == sa.any_(_ids(booking_ids)))
            .order_by(Passenger.booking_id, Passenger.position),
        )
        by_booking: dict[uuid.UUID, list[Passenger]] = defaultdict(list)
        for row in rows:
            by_booking[row.booking_id].append(row)
        return [by_booking.get(id_, []) for id_ in booking_ids]

    return load


def _payment_status(
    sessions: Sessions,
) -> Callable[[list[uuid.UUID]], Awaitable[list[MoneyStatus | None]]]:
    async def load(booking_ids: list[uuid.UUID]) -> list[MoneyStatus | None]:
        # The latest payment of each booking (a retried payment follows a failed one).
        statement = (
            sa.select(Payment.booking_id, Payment.status)
            .where(Payment.booking_id == sa.any_(_ids(booking_ids)))
            .order_by(Payment.booking_id, Payment.created_at.desc())
            .ext(distinct_on(Payment.booking_id))
        )
        async with sessions() as session:
            latest: dict[uuid.UUID | None, MoneyStatus] = {
                booking_id: status for booking_id, status in (await session.execute(statement))
            }
        return [latest.get(id_) for id_ in booking_ids]

    return load


def _refund(sessions: Sessions) -> Callable[[list[uuid.UUID]], Awaitable[list[Refund | None]]]:
    async def load(booking_ids: list[uuid.UUID]) -> list[Refund | None]:
        rows: list[Refund] = await _scalars(
            sessions, sa.select(Refund).where(Refund.booking_id == sa.any_(_ids(booking_ids)))
        )
        by_booking = {row.booking_id: row for row in rows}
        return [by_booking.get(id_) for id_ in booking_ids]

    return load


def _booking_invoice(
    sessions: Sessions,
) -> Callable[[list[uuid.UUID]], Awaitable[list[Invoice | None]]]:
    async def load(booking_ids: list[uuid.UUID]) -> list[Invoice | None]:
        rows: list[Invoice] = await _scalars(
            sessions,
            sa.select(Invoice).where(
                Invoice.booking_id == sa.any_(_ids(booking_ids)),
                Invoice.kind == InvoiceKind.BOOKING,
            ),
        )
        by_booking = {row.booking_id: row for row in rows}
        return [by_booking.get(id_) for id_ in booking_ids]

    return load


def _status_history(
    sessions: Sessions,
) -> Callable[[list[uuid.UUID]], Awaitable[list[list[LaunchStatusHistory]]]]:
    async def load(launch_ids: list[uuid.UUID]) -> list[list[LaunchStatusHistory]]:
        rows: list[LaunchStatusHistory] = await _scalars(
            sessions,
            sa.select(LaunchStatusHistory)
            .where(LaunchStatusHistory.launch_id == sa.any_(_ids(launch_ids)))
            .order_by(LaunchStatusHistory.launch_id, LaunchStatusHistory.id),
        )
        by_launch: dict[uuid.UUID, list[LaunchStatusHistory]] = defaultdict(list)
        for row in rows:
            by_launch[row.launch_id].append(row)
        return [by_launch.get(id_, []) for id_ in launch_ids]

    return load


def _figures(sessions: Sessions) -> Callable[[list[Launch]], Awaitable[list[LaunchFigures]]]:
    async def load(launches: list[Launch]) -> list[LaunchFigures]:
        async with sessions() as session:
            found = await launch_figures(session, launches)
        return [found[launch.id] for launch in launches]

    return load


def _launch_key(launch: Launch) -> uuid.UUID:
    return launch.id


@dataclass(frozen=True, slots=True)
class AdminLoaders:
    """The loaders of one request; each returns ``None`` (or ``[]``) for what does not exist."""

    launch: DataLoader[uuid.UUID, Launch | None]
    rocket: DataLoader[uuid.UUID, Rocket | None]
    supplier: DataLoader[uuid.UUID, Supplier | None]
    spaceport: DataLoader[uuid.UUID, Spaceport | None]
    supplier_by_user: DataLoader[uuid.UUID, Supplier | None]  # by the login's user id
    passengers: DataLoader[uuid.UUID, list[Passenger]]  # by booking id
    payment_status: DataLoader[uuid.UUID, MoneyStatus | None]  # by booking id
    refund: DataLoader[uuid.UUID, Refund | None]  # by booking id
    booking_invoice: DataLoader[uuid.UUID, Invoice | None]  # by booking id
    status_history: DataLoader[uuid.UUID, list[LaunchStatusHistory]]  # by launch id
    figures: DataLoader[Launch, LaunchFigures]  # by launch row (cached by its id)

    @classmethod
    def create(cls, sessions: Sessions) -> AdminLoaders:
        """Fresh loaders (and caches) for one request."""
        return cls(
            launch=DataLoader(_batch_by_id(sessions, Launch)),
            rocket=DataLoader(_batch_by_id(sessions, Rocket)),
            supplier=DataLoader(_batch_by_id(sessions, Supplier)),
            spaceport=DataLoader(_batch_by_id(sessions, Spaceport)),
            supplier_by_user=DataLoader(_supplier_by_user(sessions)),
            passengers=DataLoader(_passengers(sessions)),
            payment_status=DataLoader(_payment_status(sessions)),
            refund=DataLoader(_refund(sessions)),
            booking_invoice=DataLoader(_booking_invoice(sessions)),
            status_history=DataLoader(_status_history(sessions)),
            figures=DataLoader(_figures(sessions), cache_key_fn=_launch_key),
        )
