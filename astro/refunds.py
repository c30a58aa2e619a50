"""The cancellation refund rule, shared by the customer's quote and the ledger's refund.

Tiers by time left before the (current) launch date, on calendar boundaries: cancelled at least
one year before → 90 %, at least three months before → 70 %, later → 0 % (the seats stay sold).
A launch that is aborted refunds 100 % of every active booking.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` moved back ``months`` calendar months (the day clamped to the month's end)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def refund_percent(launch_date: datetime, cancelled_at: datetime, *, aborted: bool = False) -> int:
    """The refund percentage for a booking cancelled at ``cancelled_at``."""
    if aborted:
        return 100
    if cancelled_at <= months_before(launch_date, 12):
        return 90
    if cancelled_at <= months_before(launch_date, 3):
        return 70
    return 0


def refund_amount(total: Decimal, percent: int) -> Decimal:
    """``percent`` of ``total``, rounded half-up to the cent."""
    return (total * Decimal(percent) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def seats_released(percent: int) -> bool:
    """Whether a cancellation with this refund gives its seats back (0 % keeps them sold)."""
    return percent > 0
