"""Renewals: one charge per period, anchored on the purchase day, across month ends."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from didstore.clock import FixedClock
from didstore.domain.billing import add_months
from didstore.services.renewals import run_renewals
from tests.conftest import (
    IN_NUMBERS,
    balance,
    buy,
    charge_count,
    make_account,
    number_row,
    rental_rows,
    stock,
)
from tests.support import TestServices


# -- the job on a real database --------------------------------------------------------------
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=st.integers(min_value=1, max_value=31),
    month=st.integers(min_value=1, max_value=12),
    year=st.sampled_from([2027, 2028]),
    months=st.integers(min_value=1, max_value=14),
)
def test_renewals_charge_each_period_once_across_month_ends(
    state: TestServices, clock: FixedClock, day: int, month: int, year: int, months: int
) -> None:
    from tests.conftest import _empty

    _empty(state.db)
    day = min(day, calendar.monthrange(year, month)[1])
    bought = datetime(year, month, day, 13, 30, tzinfo=UTC)
    clock.set(bought)
    acct = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    # Step through time around each period start (just before, at it, twice, and after):
    # every period is charged exactly once, and never before it starts.
    for k in range(1, months + 1):
        start = add_months(bought, k)
        for t in (start - timedelta(seconds=1), start, start, start + timedelta(hours=12)):
            clock.set(t)
            state.call(run_renewals, state.adb, clock)
        assert len(rental_rows(state, IN_NUMBERS[0])) == k
    t = clock.now()
    rows = rental_rows(state, IN_NUMBERS[0])
    starts = [add_months(bought, k) for k in range(1, months + 2) if add_months(bought, k) <= t]
    assert len(rows) == len(starts)
    assert all(r.amount_minor == 30_000 for r in rows)
    n = number_row(state, IN_NUMBERS[0])
    assert n.last_billing_date == starts[-1]
    assert n.next_billing_date == add_months(bought, len(starts) + 1)
    assert balance(state, acct) == 10_000_000 - 40_000 - 30_000 * len(starts)
    assert state.wallet.verify() == []


def test_catch_up_after_downtime_charges_every_missed_period(
    state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3], monthly_fee=300)
    for e in IN_NUMBERS[:3]:
        buy(state, acct, e)
    clock.set(add_months(clock.now(), 3) + timedelta(hours=1))  # three periods later
    report = state.call(run_renewals, state.adb, clock, chunk_size=2)
    assert report.charged == 9 and report.suspended == 0
    assert charge_count(state) == 9
    again = state.call(run_renewals, state.adb, clock)
    assert again.charged == 0 and charge_count(state) == 9
    assert balance(state, acct) == 1_000_000 - 3 * 40_000 - 9 * 30_000


def test_job_report_counts(state: TestServices, clock: FixedClock) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2], monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    buy(state, acct, IN_NUMBERS[1])
    clock.set(add_months(clock.now(), 1))
    report = state.jobs.run("renewals", clock.now()).as_dict()
    assert report["charged"] == 2 and report["failed"] == 0
    assert report["charged_minor"] == {"INR": 60_000}
    assert {r.number_id for r in rental_rows(state)} == {
        number_row(state, e).id for e in IN_NUMBERS[:2]
    }


def test_renewal_charges_are_audited_per_wallet(state: TestServices, clock: FixedClock) -> None:
    from didstore.services.audit_query import AuditFilters

    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2], monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    buy(state, acct, IN_NUMBERS[1])
    before = balance(state, acct)
    clock.set(add_months(clock.now(), 1))
    state.call(run_renewals, state.adb, clock)
    rows = state.audit.list(AuditFilters(account_id=acct.auth_id), 1, 100)
    charged = [r for r in rows.items if r["action"] == "wallet.renewals_charged"]
    assert len(charged) == 1
    assert charged[0]["before"] == {"balance_minor": before}
    assert charged[0]["after"]["balance_minor"] == before - 60_000
    assert charged[0]["after"]["charged_minor"] == 60_000
