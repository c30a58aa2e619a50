"""Launch figures (occupancy, money, viability), batched: one query for any number of launches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from astro.refunds import months_before
from subgraphs.admin.store import (
    TERMINAL_STATUSES,
    Booking,
    BookingStatus,
    Launch,
    MoneyStatus,
    Payment,
    Refund,
)

CENT = Decimal("0.01")
VIABILITY_SHARE = Decimal("0.30")
VIABILITY_MONTHS = 3


@dataclass(frozen=True, slots=True)
class LaunchFigures:
    """Occupancy and money of one launch."""

    seats_sold: int
    seats_left: int
    occupancy_percent: Decimal
    revenue: Decimal
    collected: Decimal
    below_viability_threshold: bool
    viability_flagged_at: datetime | None


def is_below_viability(launch: Launch, now: datetime) -> bool:
    """Under 30 % of the seats sold once the launch is three months away (and not over)."""
    if launch.status in TERMINAL_STATUSES:
        return False
    if now < months_before(launch.launch_date, VIABILITY_MONTHS):
        return False
    return Decimal(launch.seats_sold) < VIABILITY_SHARE * launch.total_seats


def _launch_sum(
    amount: InstrumentedAttribute[Decimal],
    source: type[Payment] | type[Refund] | None,
    *conditions: sa.ColumnElement[bool],
) -> sa.ScalarSelect[Decimal]:
    """The sum of ``amount`` over the bookings of the outer query's launch (0 when none)."""
    statement = sa.select(sa.func.coalesce(sa.func.sum(amount), 0)).select_from(Booking)
    if source is not None:
        statement = statement.join(source, source.booking_id == Booking.id)
    return statement.where(Booking.launch_id == Launch.id, *conditions).scalar_subquery()


async def launch_figures(
    session: AsyncSession, launches: Sequence[Launch]
) -> dict[uuid.UUID, LaunchFigures]:
    """The figures of ``launches``, in one query whatever their number."""
    ids = sa.bindparam("ids", [launch.id for launch in launches], type_=ARRAY(sa.Uuid()))
    completed = MoneyStatus.COMPLETED
    statement = sa.select(
        Launch.id,
        _launch_sum(Booking.total, None, Booking.status != BookingStatus.REJECTED),
        _launch_sum(Refund.amount, Refund),
        _launch_sum(Payment.amount, Payment, Payment.status == completed),
        _launch_sum(Refund.amount, Refund, Refund.status == completed),
    ).where(Launch.id == sa.any_(ids))
    sums = {
        launch_id: tuple(Decimal(value).quantize(CENT) for value in values)
        for launch_id, *values in (await session.execute(statement)).all()
    }
    now = datetime.now(UTC)
    zero = (Decimal("0.00"),) * 4
    found: dict[uuid.UUID, LaunchFigures] = {}
    for launch in launches:
        gross, refunded, paid, paid_back = sums.get(launch.id, zero)
        found[launch.id] = LaunchFigures(
            seats_sold=launch.seats_sold,
            seats_left=launch.total_seats - launch.seats_sold,
            occupancy_percent=(Decimal(100 * launch.seats_sold) / launch.total_seats).quantize(
                Decimal("0.1")
            ),
            revenue=gross - refunded,
            collected=paid - paid_back,
            below_viability_threshold=is_below_viability(launch, now),
            viability_flagged_at=launch.viability_flagged_at,
        )
    return found
