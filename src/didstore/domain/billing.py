"""The billing schedule: monthly periods anchored on the purchase day, clamped at month end.

Bought on 31 January: renews 28 (or 29) February, then 31 March, 30 April, 31 May ...
The anchor day never drifts, because every period is computed from the anchor, not from
the previous (possibly clamped) date.
"""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` moved ``months`` calendar months on, day clamped to the target month's end."""
    total = anchor.month - 1 + months
    year = anchor.year + total // 12
    month = total % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_start(anchor: datetime, period: int) -> datetime:
    """Start of billing period ``period`` (0 = the purchase period)."""
    return add_months(anchor, period)
