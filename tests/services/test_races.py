"""Race tests against the real database (SQLite or PostgreSQL, per DIDSTORE_TEST_DB).

Threads call the services layer at the same moment (a barrier releases them together) and
the tests check what the business rules promise whatever the interleaving: a number is sold
once, a wallet never goes below zero and always equals its ledger, a release and its
cancellation never leave money or state half-done, and an import never stocks a number twice.
Any exception other than the expected domain errors (a 500 in production, e.g. "database is
locked" or a unique violation) fails the test.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from didstore.db.tables import ledger_entries, numbers, wallets
from didstore.domain.e164 import E164
from didstore.domain.errors import (
    AlreadyPendingRelease,
    Conflict,
    InsufficientBalance,
    NotFound,
    NotPendingRelease,
)
from didstore.services.models import CLI
from tests.conftest import (
    IN_NUMBERS,
    MONTHLY_FEE,
    PRICE_MINOR,
    SETUP_FEE,
    AccountHandle,
    account_of,
    balance,
    make_account,
    make_sub_account,
    number_row,
    stock,
)
from tests.support import TestServices, run_together, unexpected


def _purchase(buyer: AccountHandle, e164: str, s: TestServices) -> Any:
    return s.numbers.purchase(CLI, account_of(s, buyer), E164(e164))


def _import(rows: list[dict[str, Any]], s: TestServices) -> Any:
    return s.inventory.import_rows(CLI, rows)


def ledger_count(state: TestServices, **where: Any) -> int:
    conds = [getattr(ledger_entries.c, k) == v for k, v in where.items()]
    with state.db.read() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(ledger_entries).where(*conds)
            ).scalar_one()
        )


# -- one number, many buyers ------------------------------------------------------------------
def test_32_buyers_of_one_number_exactly_one_sale(
    state: TestServices, racers: list[TestServices]
) -> None:
    target = IN_NUMBERS[0]
    stock(state, [target], setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE)
    buyers = [make_account(state, balance=1000) for _ in range(32)]
    start = balance(state, buyers[0])

    out = run_together(
        racers,
        [partial(_purchase, b, target) for b in buyers],
    )

    assert unexpected(out, NotFound) == []
    assert len(out.results) == 1, out.kinds()
    assert len(out.errors) == 31 and all(isinstance(e, NotFound) for e in out.errors)
    sale = out.results[0]
    assert sale.charged_minor == PRICE_MINOR and not sale.replayed
    winner = next(b for b in buyers if b.auth_id == sale.number.owner_auth_id)
    assert number_row(state, target).state == "active"
    assert ledger_count(state, reference_type="did_purchase") == 1
    assert ledger_count(state, reference_type="did_purchase", number_id=sale.number.id) == 1
    for b in buyers:
        expected = start - PRICE_MINOR if b is winner else start
        assert balance(state, b) == expected
    assert state.wallet.verify() == []


def test_same_account_retrying_one_purchase_is_charged_once(
    state: TestServices, racers: list[TestServices]
) -> None:
    """A retry storm from one buyer (the newer SDK retries by itself): one charge."""
    target = IN_NUMBERS[1]
    stock(state, [target], setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE)
    buyer = make_account(state, balance=10_000)
    start = balance(state, buyer)

    out = run_together(
        racers, [lambda s: s.numbers.purchase(CLI, account_of(s, buyer), E164(target))] * 16
    )

    assert unexpected(out, NotFound) == []
    charged = [r for r in out.results if not r.replayed]
    assert len(charged) == 1
    assert all(r.number.owner_auth_id == buyer.auth_id for r in out.results)
    assert balance(state, buyer) == start - PRICE_MINOR
    assert ledger_count(state, reference_type="did_purchase") == 1
    assert state.wallet.verify() == []


# -- one wallet, many numbers -----------------------------------------------------------------
@pytest.mark.parametrize("with_sub_accounts", [False, True], ids=["main", "main+subs"])
def test_wallet_for_k_numbers_and_4k_concurrent_purchases(
    state: TestServices, racers: list[TestServices], with_sub_accounts: bool
) -> None:
    k = 8
    targets = IN_NUMBERS[: 4 * k]
    stock(state, targets, setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE)
    payer = make_account(state, balance=k * (SETUP_FEE + MONTHLY_FEE))
    buyers = [payer]
    if with_sub_accounts:  # sub-accounts are charged to the parent's wallet
        buyers += [make_sub_account(state, payer) for _ in range(3)]
    assert balance(state, payer) == k * PRICE_MINOR

    stop = threading.Event()
    seen: list[int] = []

    def watch_balance() -> None:
        while not stop.is_set():
            with state.db.read() as conn:
                seen.extend(int(b) for b in conn.execute(select(wallets.c.balance_minor)).scalars())

    watcher = threading.Thread(target=watch_balance)
    watcher.start()
    try:
        out = run_together(
            racers,
            [partial(_purchase, buyers[i % len(buyers)], n) for i, n in enumerate(targets)],
        )
    finally:
        stop.set()
        watcher.join()

    assert unexpected(out, InsufficientBalance) == []
    assert len(out.results) == k, out.kinds()
    assert len(out.errors) == 3 * k
    assert balance(state, payer) == 0
    assert seen and min(seen) >= 0
    bought = {r.number.e164 for r in out.results}
    for n in targets:
        row = number_row(state, n)
        assert row.state == ("active" if n in bought else "available"), n
        assert (row.billing_account_id is not None) == (n in bought)
    assert ledger_count(state, reference_type="did_purchase") == k
    assert state.wallet.verify() == []


# -- release against cancel-release ------------------------------------------------------------
def _owned_number(state: TestServices, e164: str, *, release_fee: int) -> AccountHandle:
    stock(state, [e164], setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE)
    owner = make_account(state, balance=100_000, release_fee=release_fee)
    state.numbers.purchase(CLI, account_of(state, owner), E164(e164))
    return owner


def test_concurrent_release_and_cancel_release_stay_consistent(
    state: TestServices, racers: list[TestServices]
) -> None:
    """Threads keep releasing and cancelling one number; every success is matched by
    exactly one ledger row, and the final state agrees with the money."""
    target, fee = IN_NUMBERS[2], 50
    owner = _owned_number(state, target, release_fee=fee)
    start = balance(state, owner)
    rounds = 6

    def releaser(s: TestServices) -> tuple[str, int]:
        ok = 0
        for _ in range(rounds):
            try:
                s.numbers.release(CLI, account_of(s, owner), E164(target), immediate=False)
                ok += 1
            except (AlreadyPendingRelease, Conflict):
                pass
        return ("release", ok)

    def canceller(s: TestServices) -> tuple[str, int]:
        ok = 0
        for _ in range(rounds):
            try:
                s.numbers.cancel_release(CLI, account_of(s, owner), E164(target))
                ok += 1
            except NotPendingRelease:
                pass
        return ("cancel", ok)

    out = run_together(racers, [releaser, canceller] * 8)

    assert out.errors == []
    released = sum(n for kind, n in out.results if kind == "release")
    cancelled = sum(n for kind, n in out.results if kind == "cancel")
    assert released >= 1
    assert released - cancelled in (0, 1)
    row = number_row(state, target)
    pending = released - cancelled == 1
    assert row.state == ("pending_release" if pending else "active")
    assert row.release_fee_minor == (fee * 100 if pending else None)
    assert ledger_count(state, reference_type="did_release") == released
    assert ledger_count(state, reference_type="refund") == cancelled
    assert balance(state, owner) == start - (released - cancelled) * fee * 100
    assert state.wallet.verify() == []


def test_immediate_release_racing_cancel(state: TestServices, racers: list[TestServices]) -> None:
    """A pending release made final (``immediate``) while the owner cancels it. Either order
    is legal (cancel then a fresh immediate release, or the final release first and the
    cancellation refused), but the end state and the money must agree with what succeeded."""
    fee = 70
    for i, target in enumerate(IN_NUMBERS[10:18]):
        owner = _owned_number(state, target, release_fee=fee)
        before = balance(state, owner)
        state.numbers.release(CLI, account_of(state, owner), E164(target), immediate=False)
        number_id = number_row(state, target).id

        def cancel(s: TestServices, o: AccountHandle = owner, t: str = target) -> str:
            s.numbers.cancel_release(CLI, account_of(s, o), E164(t))
            return "cancel"

        def finalise(s: TestServices, o: AccountHandle = owner, t: str = target) -> str:
            s.numbers.release(CLI, account_of(s, o), E164(t), immediate=True)
            return "release"

        out = run_together(racers, [cancel, finalise] if i % 2 else [finalise, cancel])

        assert unexpected(out, NotPendingRelease, AlreadyPendingRelease, Conflict) == []
        done = set(out.results)
        assert done, out.kinds()
        row = number_row(state, target)
        if "release" in done:
            assert row.state == "quarantined" and row.owner_account_id is None
        else:
            assert row.state == "active" and row.owner_account_id is not None
        debits = ledger_count(state, reference_type="did_release", number_id=number_id)
        refunds = ledger_count(state, reference_type="refund", number_id=number_id)
        # one fee for the first release, one more if the cancellation came first
        assert debits == (2 if done == {"cancel", "release"} else 1)
        assert refunds == (1 if "cancel" in done else 0)
        assert balance(state, owner) == before - (debits - refunds) * fee * 100
    assert state.wallet.verify() == []


# -- inventory and wallets ---------------------------------------------------------------------
@pytest.mark.parametrize("round_no", range(4))
def test_concurrent_duplicate_imports_stock_each_number_once(
    state: TestServices, racers: list[TestServices], round_no: int
) -> None:
    distinct = [f"+918042{round_no:02d}{n:04d}" for n in range(80)]
    # Eight imports of the same numbers, each starting at a different point of the list
    # (so they meet each other's rows in different orders).
    batches = [distinct[i * 11 :] + distinct[: i * 11] for i in range(8)]
    rows = [
        [
            {"e164": n, "setup_fee": SETUP_FEE, "monthly_fee": MONTHLY_FEE, "currency": "INR"}
            for n in batch
        ]
        for batch in batches
    ]

    out = run_together(racers, [partial(_import, r) for r in rows])

    assert out.errors == []
    assert all(not rep.errors for rep in out.results)
    assert all(rep.created + rep.skipped == len(distinct) for rep in out.results)
    assert sum(rep.created for rep in out.results) == len(distinct)
    with state.db.read() as conn:
        counts = conn.execute(select(numbers.c.e164, func.count()).group_by(numbers.c.e164)).all()
    assert sorted(e for e, _ in counts) == sorted(distinct)
    assert all(c == 1 for _, c in counts)


def test_concurrent_first_credits_in_a_new_currency(
    state: TestServices, racers: list[TestServices]
) -> None:
    """The first top-ups of a currency the account has no wallet for yet, all at once: every
    one is applied to one wallet (no unique-key failure, no lost update)."""
    handle = make_account(state)  # an INR account; no USD wallet yet
    acct = account_of(state, handle)

    out = run_together(
        racers,
        [lambda s: s.wallet.credit(CLI, acct, amount=5, currency_code="USD") for _ in range(16)],
    )

    assert out.errors == []
    assert balance(state, handle, "USD") == 16 * 500
    with state.db.read() as conn:
        usd = conn.execute(
            select(func.count())
            .select_from(wallets)
            .where(wallets.c.account_id == acct.id, wallets.c.currency == "USD")
        ).scalar_one()
    assert usd == 1
    assert ledger_count(state, account_id=acct.id, currency="USD") == 16
    assert state.wallet.verify() == []


def test_two_lifecycle_sweeps_at_once_move_and_audit_each_number_once(
    state: TestServices, racers: list[TestServices], clock: Any
) -> None:
    from datetime import timedelta

    from didstore.db.tables import audit_log
    from didstore.services.lifecycle_job import run_lifecycle

    targets = IN_NUMBERS[20:30]
    owner = make_account(state, balance=100_000)
    stock(state, targets)
    for n in targets:
        state.numbers.purchase(CLI, account_of(state, owner), E164(n))
        state.numbers.release(CLI, account_of(state, owner), E164(n), immediate=False)
    clock.set(clock.now() + timedelta(hours=25))

    out = run_together(racers, [lambda s: s.call(run_lifecycle, s.adb, clock).released] * 4)

    assert out.errors == []
    assert sum(out.results) == len(targets)
    with state.db.read() as conn:
        audited = conn.execute(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.action == "number.released")
        ).scalar_one()
    assert audited == len(targets)
