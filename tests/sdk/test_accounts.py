"""Sub-accounts, the caller's profile, balance and transactions through the SDK against a
real server, in both flavours."""

from __future__ import annotations

import pytest

from didstore.client import Client, NotFoundError
from tests.live_server import Account, LiveServer


def test_sub_account_crud(client: Client, account: Account) -> None:
    created = client.sub_accounts.create(account.auth_id, "branch")
    assert created.auth_credentials is not None
    sub_id = created.auth_credentials.auth_id
    assert sub_id.startswith("SA_") and created.auth_credentials.auth_token
    assert [s.auth_id for s in client.sub_accounts.list(account.auth_id)] == [sub_id]
    assert client.sub_accounts.update(account.auth_id, sub_id, name="renamed").name == "renamed"
    assert client.sub_accounts.get(account.auth_id, sub_id).name == "renamed"
    client.sub_accounts.delete(account.auth_id, sub_id)
    with pytest.raises(NotFoundError):
        client.sub_accounts.get(account.auth_id, sub_id)


def test_sub_account_list_pages(client: Client, account: Account) -> None:
    made = [client.sub_accounts.create(account.auth_id, f"b{i}") for i in range(3)]
    pager = client.sub_accounts.list(account.auth_id, size=2)
    assert [len(p.items) for p in pager.pages()] == [2, 1]
    ids = {m.auth_credentials.auth_id for m in made if m.auth_credentials is not None}
    assert {s.auth_id for s in client.sub_accounts.list(account.auth_id, size=2)} == ids


def test_profile(client: Client, account: Account) -> None:
    me = client.auth.me()
    assert me.auth_id == account.auth_id and me.currency == "INR"


def test_balance_in_both_spellings(client: Client, account: Account) -> None:
    wallet = client.balance.get_balance(account.auth_id, "inr")
    assert (wallet.balance, wallet.currency) == (10000, "INR")
    assert client.balance.retrieve(account.auth_id, "INR").to_dict() == wallet.to_dict()
    assert wallet.http is not None and wallet.http.request_id
    with pytest.raises(NotFoundError):
        client.balance.get_balance(account.auth_id, "USD")  # no USD wallet


def test_transactions_filters_and_seed_spelling(
    live: LiveServer, client: Client, account: Account
) -> None:
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    everything = client.transactions.list(account.auth_id).to_list()
    assert sorted(t.type for t in everything) == ["credit", "debit"]
    debits = list(client.transactions.list(account.auth_id, type="debit", per_page=1))
    assert [(t.amount, t.reference_type) for t in debits] == [(400, "did_purchase")]
    seed = list(client.transactions.list_transactions(account.auth_id, limit=1, offset=1))
    assert [t.id for t in seed] == [everything[1].id]
