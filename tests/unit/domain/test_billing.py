import calendar
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from didstore.domain.billing import add_months


def test_month_end_anchor_clamps_and_recovers() -> None:
    jan31 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert add_months(jan31, 1).date().isoformat() == "2026-02-28"
    assert add_months(jan31, 2).date().isoformat() == "2026-03-31"
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1).date().isoformat() == "2028-02-29"
    assert add_months(jan31, 12).date().isoformat() == "2027-01-31"


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1)),
    st.integers(min_value=0, max_value=600),
)
def test_periods_keep_the_anchor_day_unless_the_month_is_shorter(
    anchor: datetime, months: int
) -> None:
    anchor = anchor.replace(tzinfo=UTC)
    moved = add_months(anchor, months)
    assert (moved.year * 12 + moved.month) - (anchor.year * 12 + anchor.month) == months
    last_day = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(anchor.day, last_day)
    assert moved.time() == anchor.time()
