"""domain/renewal.py: renewal periods follow the anchor day and never drift, month ends
and leap years, the early-release fee, and the renewal period key that follows the billing
anchor whatever date is stored (issue 14, "Renewals of imported numbers")."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from didstore.domain.billing import add_months
from didstore.domain.renewal import (
    aligned_next_billing,
    early_release_fee,
    months_between,
    next_period_start,
    renewal_period,
)


# -- pure rules ------------------------------------------------------------------------------
@given(
    anchor=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
    ),
    periods=st.integers(min_value=1, max_value=60),
)
def test_periods_follow_the_anchor_day_and_never_drift(anchor: datetime, periods: int) -> None:
    start = anchor
    for k in range(1, periods + 1):
        start = next_period_start(anchor, start)
        assert start == add_months(anchor, k)
        last_day = calendar.monthrange(start.year, start.month)[1]
        assert start.day == min(anchor.day, last_day)
        assert (start.hour, start.minute, start.second) == (
            anchor.hour,
            anchor.minute,
            anchor.second,
        )
        assert months_between(anchor, start) == k


def test_month_end_and_leap_year_examples() -> None:
    a = datetime(2028, 1, 31, 9, tzinfo=UTC)  # 2028 is a leap year
    feb = next_period_start(a, a)
    mar = next_period_start(a, feb)
    assert (feb.month, feb.day, mar.month, mar.day) == (2, 29, 3, 31)
    b = datetime(2026, 1, 31, 9, tzinfo=UTC)
    assert next_period_start(b, b).day == 28
    leap_day = datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(leap_day, 12) == datetime(2029, 2, 28, tzinfo=UTC)
    assert add_months(leap_day, 48) == datetime(2032, 2, 29, tzinfo=UTC)


def test_early_release_fee_counts_unpaid_committed_months() -> None:
    a = datetime(2026, 1, 31, tzinfo=UTC)
    assert early_release_fee(300, 3, a, add_months(a, 1)) == 600  # 1 of 3 paid
    assert early_release_fee(300, 3, a, add_months(a, 3)) == 0
    assert early_release_fee(300, 0, a, add_months(a, 1)) == 0


_DATES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


# -- the pure rule ---------------------------------------------------------------------------
@given(anchor=_DATES, stored=_DATES)
def test_the_period_is_the_first_anchored_start_at_or_after_the_stored_date(
    anchor: datetime, stored: datetime
) -> None:
    start, following = renewal_period(anchor, stored)
    k = next(k for k in range(1, 1200) if add_months(anchor, k) == start)
    assert following == add_months(anchor, k + 1)
    assert start >= stored or k == 1  # period 0 is the purchase's, never renewed
    if k > 1:
        assert add_months(anchor, k - 1) < stored  # no anchored start skipped


@given(anchor=_DATES, k=st.integers(min_value=1, max_value=240))
def test_an_anchored_date_is_its_own_period(anchor: datetime, k: int) -> None:
    assert renewal_period(anchor, add_months(anchor, k)) == (
        add_months(anchor, k),
        add_months(anchor, k + 1),
    )


@given(anchor=_DATES, stored=_DATES)
def test_charging_the_period_and_storing_the_next_start_is_a_fixed_point(
    anchor: datetime, stored: datetime
) -> None:
    start, following = renewal_period(anchor, stored)
    assert renewal_period(anchor, following)[0] == following  # the next run's key
    assert aligned_next_billing(anchor, stored) == start


def test_the_reproduction_dates() -> None:
    anchor = datetime(2026, 12, 1, 10, tzinfo=UTC)
    hand_set = anchor + timedelta(days=30)  # 31 Dec: not on the anchor
    assert renewal_period(anchor, hand_set) == (
        datetime(2027, 1, 1, 10, tzinfo=UTC),
        datetime(2027, 2, 1, 10, tzinfo=UTC),
    )
    assert renewal_period(None, hand_set) == (hand_set, datetime(2027, 1, 31, 10, tzinfo=UTC))
