from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from astro.refunds import months_before, refund_amount, refund_percent, seats_released

LAUNCH = datetime(2028, 5, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cancelled_at", "percent"),
    [
        (datetime(2027, 5, 31, 12, 0, tzinfo=UTC), 90),  # exactly one year before
        (datetime(2027, 5, 31, 12, 0, 1, tzinfo=UTC), 70),  # one second later
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 70),  # three months before, day clamped
        (datetime(2028, 2, 29, 12, 0, 1, tzinfo=UTC), 0),
        (LAUNCH - timedelta(days=1), 0),
    ],
)
def test_refund_tiers_change_exactly_at_calendar_boundaries(
    cancelled_at: datetime, percent: int
) -> None:
    assert refund_percent(LAUNCH, cancelled_at) == percent


def test_aborted_launch_refunds_everything_even_at_the_last_minute() -> None:
    assert refund_percent(LAUNCH, LAUNCH - timedelta(minutes=1), aborted=True) == 100


def test_month_arithmetic_clamps_to_the_end_of_shorter_months() -> None:
    assert months_before(datetime(2028, 3, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert months_before(datetime(2029, 2, 28, tzinfo=UTC), 12) == datetime(2028, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2028, 1, 15, tzinfo=UTC), 3) == datetime(2027, 10, 15, tzinfo=UTC)


def test_refund_amount_is_rounded_half_up_to_the_cent() -> None:
    assert refund_amount(Decimal("333.35"), 70) == Decimal("233.35")
    assert refund_amount(Decimal("0.05"), 90) == Decimal("0.05")  # 0.045 → 0.05
    assert refund_amount(Decimal("1000.00"), 0) == Decimal("0.00")


def test_only_a_refunded_cancellation_gives_seats_back() -> None:
    assert seats_released(70) and seats_released(100)
    assert not seats_released(0)
