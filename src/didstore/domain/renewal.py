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


def renewal_period(
    anchor: datetime | None, next_billing_date: datetime
) -> tuple[datetime, datetime]:
    """The period a renewal charges for a number whose stored date is ``next_billing_date``:
    ``(start, next start)`` with ``start = add_months(anchor, k)``, the first anchored period
    start at or after the stored date (never period 0, which the purchase paid), and
    ``next start = add_months(anchor, k + 1)``.

    ``start`` is the exactly-once key. It is derived from the anchor, never taken from the
    stored date as it is: a date that is not exactly ``anchor + k months`` (set by an import,
    or by hand to "now + 30 days") maps to the anchored period it falls before, so a run
    charges that period once and continues with ``anchor + (k + 1) months``; it can no
    longer charge a period starting at the stored date and another starting at the anchored
    date a day later. A stored date that is already anchored is its own answer. Without an
    anchor the stored date is the anchor.
    """
    if anchor is None:
        return next_billing_date, add_months(next_billing_date, 1)
    k = months_between(anchor, next_billing_date)
    if add_months(anchor, k) < next_billing_date:
        k += 1
    k = max(1, k)
    return add_months(anchor, k), add_months(anchor, k + 1)


def aligned_next_billing(anchor: datetime, paid_until: datetime) -> datetime:
    """The ``next_billing_date`` to store for a number anchored at ``anchor`` whose owner has
    paid until ``paid_until`` (imports, operator assignments): the anchored period start the
    renewal job would charge next (:func:`renewal_period`), so stored dates are always on the
    anchor."""
    return renewal_period(anchor, paid_until)[0]


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


def resume_billing(anchor: datetime | None, next_billing_date: datetime, now: datetime) -> datetime:
    """When a number the operator blocked is unblocked: the periods it spent blocked are not
    charged. A billing date still ahead stays; one that passed moves to the first anchored
    period start at or after ``now`` (the rest of the current period is free)."""
    if next_billing_date >= now:
        return next_billing_date
    return renewal_period(anchor, now)[0]
