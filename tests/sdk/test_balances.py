"""Balances: one currency as Vobiz reads it, and every currency of the wallet at once."""

from __future__ import annotations

from didstore.client import Client, NotFoundError
from tests.live_server import Account, LiveServer


def test_list_balances_shows_every_currency_of_the_paying_wallet(
    live: LiveServer, client: Client, account: Account
) -> None:
    with live.admin() as http:
        r = http.post(
            f"/api/v1/admin/accounts/{account.auth_id}/credit",
            json={"amount": 5, "currency": "USD"},
        )
        assert r.status_code == 201, r.text
    listed = client.balance.list_balances(account.auth_id)
    assert [(b.currency, b.balance) for b in listed] == [("INR", 10000), ("USD", 5)]
    one = client.balance.get_balance(account.auth_id, "usd")
    assert one.to_dict() == listed[1].to_dict()
    try:
        client.balance.get_balance(account.auth_id, "EUR")
    except NotFoundError:
        pass
    else:
        raise AssertionError("a currency without a wallet is 404")
