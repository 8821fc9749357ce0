"""Renewal rules: the period after a given one, unpaid grace, and the minimum commitment.

Periods are counted from the anchor (the purchase time): period ``k`` starts at
``add_months(anchor, k)``. Period 0 is paid by the purchase; each renewal pays the next one.
Because every start is computed from the anchor, a clamped month end never drifts
(31 Jan -> 28/29 Feb -> 31 Mar).

Minimum commitment: a number with ``minimum_commitment_months = M`` is committed for its
first ``M`` periods. Releasing it while fewer than ``M`` periods have been paid costs the
monthly fees of the unpaid committed periods, charged with the release fee (and refunded
with it if the release is cancelled). A number released because its renewal went unpaid
is not charged: the wallet could not pay, and a balance never goes negative.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from didstore.domain.billing import add_months

#: How long a number whose renewal could not be paid stays owned (and suspended).
DEFAULT_GRACE = timedelta(days=7)


def months_between(anchor: datetime, period_start: datetime) -> int:
    """The period index ``k`` for which ``add_months(anchor, k)`` falls in ``period_start``'s
    month (exact for any start produced by :func:`add_months`)."""
    return (period_start.year - anchor.year) * 12 + period_start.month - anchor.month


def next_period_start(anchor: datetime, period_start: datetime) -> datetime:
    """Start of the period after the one starting at ``period_start``."""
    return add_months(anchor, months_between(anchor, period_start) + 1)


def grace_ends(period_start: datetime, grace: timedelta = DEFAULT_GRACE) -> datetime:
    """An unpaid period's grace runs from the period's start (a late job changes nothing)."""
    return period_start + grace


def periods_paid(anchor: datetime, next_billing_date: datetime) -> int:
    """How many periods the owner has paid: those before ``next_billing_date``."""
    return max(0, months_between(anchor, next_billing_date))


def early_release_fee(
    monthly_fee_minor: int, commitment_months: int, anchor: datetime, next_billing_date: datetime
) -> int:
    """Monthly fees of the committed periods not yet paid (0 once the commitment is met)."""
    remaining = commitment_months - periods_paid(anchor, next_billing_date)
    return max(0, remaining) * monthly_fee_minor
