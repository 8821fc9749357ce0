"""``number_counts`` (kept by triggers, migration 0008) always equals a count of the numbers
themselves, through every step of a number's life, and the owned list's total and pages equal
a plain count and a plain listing at every depth, in both directions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from didstore.clock import FixedClock
from didstore.db.tables import number_counts, numbers
from didstore.domain.billing import add_months
from didstore.domain.e164 import from_body
from didstore.domain.lifecycle import OWNED_STATES
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, make_account, make_sub_account, stock
from tests.support import TestServices

OWNED = [s.value for s in OWNED_STATES]


def assert_counts_match(state: TestServices) -> dict[int, tuple[int, int]]:
    """The counters equal a COUNT of the numbers; returns account -> (owned, paid)."""
    with state.db.read() as conn:
        rows = conn.execute(
            select(numbers.c.owner_account_id, numbers.c.billing_account_id).where(
                numbers.c.state.in_(OWNED)
            )
        ).all()
        kept = {
            a: (o, p)
            for a, o, p in conn.execute(
                select(number_counts.c.account_id, number_counts.c.owned, number_counts.c.paid)
            ).all()
        }
    owned = Counter(r[0] for r in rows)
    paid = Counter(r[1] for r in rows)
    truth = {a: (owned[a], paid[a]) for a in set(owned) | set(paid)}
    assert {a: v for a, v in kept.items() if v != (0, 0)} == truth
    return truth


def test_counts_follow_every_step_of_a_numbers_life(state: TestServices, clock: FixedClock) -> None:
    a, b, c, d = IN_NUMBERS[:4]
    main = make_account(state, balance=1_600)  # four purchases of 400, nothing left
    sub = make_sub_account(state, main)
    stock(state, [a, b, c, d], setup_fee=100, monthly_fee=300)
    assert assert_counts_match(state) == {}  # inventory is nobody's
    main_acct = state.accounts.get(main.auth_id)
    sub_acct = state.accounts.get(sub.auth_id)
    for e in (a, b, c):
        state.numbers.purchase(CLI, main_acct, from_body(e))
    state.numbers.purchase(CLI, sub_acct, from_body(d))  # owned by the sub, paid by main
    assert assert_counts_match(state) == {main_acct.id: (3, 4), sub_acct.id: (1, 0)}

    state.moves.assign(CLI, main_acct, from_body(a), sub.auth_id)  # owner moves, payer stays
    assert assert_counts_match(state) == {main_acct.id: (2, 4), sub_acct.id: (2, 0)}
    state.moves.unassign(CLI, main_acct, from_body(a), force=False)
    assert assert_counts_match(state)[sub_acct.id] == (1, 0)

    state.numbers.release(CLI, main_acct, from_body(b), immediate=False)  # still counted
    assert assert_counts_match(state)[main_acct.id] == (3, 4)
    state.numbers.cancel_release(CLI, main_acct, from_body(b))
    state.numbers.release(CLI, main_acct, from_body(b), immediate=True)  # gone at once
    assert assert_counts_match(state)[main_acct.id] == (2, 3)

    with state.db.write() as conn:  # the operator blocks one: still the account's
        conn.execute(update(numbers).where(numbers.c.e164 == c).values(state="blocked"))
    assert assert_counts_match(state)[main_acct.id] == (2, 3)
    with state.db.write() as conn:
        conn.execute(update(numbers).where(numbers.c.e164 == c).values(state="active"))

    clock.set(add_months(clock.now(), 1))  # the wallet is empty: renewals suspend them all
    report = state.jobs.run("renewals", clock.now())
    assert report.suspended == 3
    assert assert_counts_match(state) == {main_acct.id: (2, 3), sub_acct.id: (1, 0)}
    clock.set(clock.now() + timedelta(days=8))  # the grace ends: released into quarantine
    report = state.jobs.run("all", clock.now())
    assert report.grace_expired == 3
    assert assert_counts_match(state) == {}
    clock.set(clock.now() + timedelta(days=46))
    assert state.jobs.run("lifecycle", clock.now()).returned_to_inventory == 4
    assert assert_counts_match(state) == {}
    state.wallet.credit(CLI, main_acct, amount=400, currency_code="INR")
    state.numbers.purchase(CLI, main_acct, from_body(a))  # bought again
    assert assert_counts_match(state) == {main_acct.id: (1, 1)}


def test_list_total_and_pages_equal_a_plain_listing_at_every_depth(
    state: TestServices, clock: FixedClock
) -> None:
    numbers_ = IN_NUMBERS[:23]
    main = make_account(state, balance=100_000)
    sub = make_sub_account(state, main)
    stock(state, numbers_)
    main_acct, sub_acct = state.accounts.get(main.auth_id), state.accounts.get(sub.auth_id)
    for i, e in enumerate(numbers_):
        state.numbers.purchase(CLI, sub_acct if i % 3 == 0 else main_acct, from_body(e))
    # in transit: released a day ago, or unpaid past the grace, but not yet moved by the job
    with state.db.write() as conn:
        conn.execute(
            update(numbers)
            .where(numbers.c.e164.in_(numbers_[4:6]))
            .values(state="pending_release", cooldown_ends_at=clock.now() - timedelta(hours=1))
        )
        conn.execute(
            update(numbers)
            .where(numbers.c.e164 == numbers_[7])
            .values(state="pending_release", cooldown_ends_at=clock.now() + timedelta(hours=1))
        )
        conn.execute(
            update(numbers)
            .where(numbers.c.e164 == numbers_[9])
            .values(state="suspended", grace_ends_at=clock.now() - timedelta(seconds=1))
        )
    hidden = {numbers_[4], numbers_[5], numbers_[9]}
    for account, include, expected in (
        (main_acct, True, [e for e in numbers_ if e not in hidden]),
        (main_acct, False, [e for i, e in enumerate(numbers_) if i % 3 and e not in hidden]),
        (sub_acct, True, [e for i, e in enumerate(numbers_) if i % 3 == 0 and e not in hidden]),
    ):
        for per_page in (1, 4, 5, 100):
            seen: list[str] = []
            for page in range(1, len(expected) // per_page + 3):
                got = state.numbers.list_owned(
                    account,
                    search=None,
                    include_subaccounts=include,
                    page=page,
                    per_page=per_page,
                )
                assert got.total == len(expected), (account.auth_id, include, per_page, page)
                assert [n.e164 for n in got.items] == expected[
                    (page - 1) * per_page : page * per_page
                ], (account.auth_id, include, per_page, page)
                seen += [n.e164 for n in got.items]
            assert seen == expected


def test_the_number_view_has_the_numbers_fields_in_order() -> None:
    from dataclasses import fields

    from didstore.db.queries import NUMBER_VIEW
    from didstore.services.models import Number

    assert list(NUMBER_VIEW.selected_columns.keys()) == [f.name for f in fields(Number)]
