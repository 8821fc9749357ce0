"""Exports read whole lists in keyset batches (ADR 0024): every row once, in the list's
order, across batch boundaries, with the list's own filters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from didstore.domain.e164 import from_body as _e164
from didstore.services.audit_query import AuditFilters
from didstore.services.exports import StockFilters
from didstore.services.models import CLI
from didstore.services.wallet import TransactionFilters
from tests.conftest import IN_NUMBERS, make_account, make_sub_account, stock
from tests.support import TestServices

T = TypeVar("T")


async def _batches(source: AsyncIterator[list[T]]) -> list[list[T]]:
    return [batch async for batch in source]


def test_owned_numbers_in_batches(state: TestServices) -> None:
    acct = make_account(state, balance=100_000)
    sub = make_sub_account(state, acct)
    stock(state, IN_NUMBERS[:6])
    main, child = state.accounts.get(acct.auth_id), state.accounts.get(sub.auth_id)
    for e164 in IN_NUMBERS[:4]:
        state.numbers.purchase(CLI, main, _e164(e164), None)
    state.numbers.purchase(CLI, child, _e164(IN_NUMBERS[4]), None)
    exports = state.services.exports
    batches = state.run(_batches(exports.owned_numbers(main, batch=2)))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [n.e164 for b in batches for n in b] == IN_NUMBERS[:5]
    own = state.run(_batches(exports.owned_numbers(main, include_subaccounts=False, batch=2)))
    assert [n.e164 for b in own for n in b] == IN_NUMBERS[:4]
    # an exact multiple of the batch size ends with an empty read, not an empty batch
    assert [len(b) for b in own] == [2, 2]
    assert state.run(_batches(exports.owned_numbers(child, batch=2)))[0][0].e164 == IN_NUMBERS[4]


def test_transactions_and_audit_in_batches_newest_first(state: TestServices) -> None:
    acct = make_account(state, balance=1_000)
    account = state.accounts.get(acct.auth_id)
    for n in range(4):
        state.wallet.credit(CLI, account, amount=1 + n, currency_code="INR")
    exports = state.services.exports
    page, _ = state.wallet.transactions(account, TransactionFilters(), 1, 100)
    batches = state.run(_batches(exports.transactions(account, TransactionFilters(), batch=2)))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [t.id for b in batches for t in b] == [t.id for t in page.items]

    log = state.audit.list(AuditFilters(account_id=acct.auth_id), 1, 100)
    assert log.total >= 5
    audit = state.run(_batches(exports.audit(AuditFilters(account_id=acct.auth_id), batch=3)))
    assert [e["id"] for b in audit for e in b] == [e["id"] for e in log.items]


def test_inventory_in_batches_with_filters(state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:5])
    state.numbers.purchase(CLI, state.accounts.get(acct.auth_id), _e164(IN_NUMBERS[1]), None)
    exports = state.services.exports
    every = state.run(_batches(exports.inventory(StockFilters(), batch=2)))
    assert [n.e164 for b in every for n in b] == IN_NUMBERS[:5]
    active = state.run(_batches(exports.inventory(StockFilters(state="active"), batch=2)))
    assert [(n.e164, n.owner_auth_id) for b in active for n in b] == [(IN_NUMBERS[1], acct.auth_id)]
    assert state.run(_batches(exports.inventory(StockFilters(country="US")))) == []
    page = state.run(exports.inventory_page(StockFilters(), IN_NUMBERS[2], 10))
    assert [n.e164 for n in page] == IN_NUMBERS[3:5]
