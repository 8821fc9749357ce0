"""Money pages: a customer's transactions with filters, paging and a CSV download; a
partner's transfer to a customer, confirmed with both balances after, checked against the
API and refused for another partner's customer, without CSRF, or beyond the balance."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    buy_over_http,
    make_account,
    make_partner,
    stock,
)
from tests.console.pages import csrf, marked, sign_in
from tests.support import TestServices


def _api_balance(client: TestClient, acct: AccountHandle, code: str = "INR") -> float:
    r = client.get(f"/api/v1/Account/{acct.auth_id}/balance/{code}", headers=acct.headers)
    assert r.status_code == 200, r.text
    return float(r.json()["balance"])


def test_transactions_list_filters_pages_and_downloads(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:26], setup_fee=1, monthly_fee=2)
    for n in IN_NUMBERS[:26]:
        buy_over_http(client, acct, n)
    sign_in(client, acct.auth_id, acct.token)
    first = client.get("/console/transactions")
    assert first.status_code == 200
    assert len(marked(first, "transaction-row", "data-type")) == 25
    assert "27 transaction(s)" in first.text  # the credit and 26 purchases
    second = client.get("/console/transactions?page=2")
    assert len(marked(second, "transaction-row", "data-type")) == 2
    credits = client.get("/console/transactions?type=credit")
    assert marked(credits, "transaction-row", "data-minor") == ["100000"]
    download = client.get("/console/transactions.csv?type=debit")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 26 and {r["amount"] for r in rows} == {"3"}
    assert "attachment" in download.headers["content-disposition"]
    assert client.get("/console/transactions?type=refund").status_code == 400
    assert client.get("/console/transactions?currency=ZZZ").status_code == 400
    assert (
        marked(client.get("/console/transactions?currency=USD"), "transaction-row", "data-type")
        == []
    )


def test_partner_transfer_is_confirmed_then_moves_money(
    client: TestClient, state: TestServices
) -> None:
    pa = make_partner(state, balance=500)
    customer = make_account(state, balance=10, partner_id=pa.auth_id)
    sign_in(client, pa.auth_id, pa.token)
    ask = client.get(f"/console/partner/transfer?customer={customer.auth_id}")
    assert ask.status_code == 200 and 'name="amount"' in ask.text
    review = client.get(f"/console/partner/transfer?customer={customer.auth_id}&amount=120.5")
    assert review.status_code == 200
    assert (
        "120.50 INR" in review.text and "379.50 INR" in review.text and "130.50 INR" in review.text
    )
    assert _api_balance(client, customer) == 10  # nothing moved yet
    r = client.post(
        "/console/partner/transfer",
        data={"csrf": csrf(review), "customer": customer.auth_id, "amount": "120.5"},
    )
    assert r.status_code == 200 and "Moved 120.50 INR" in r.text and 'data-testid="flash"' in r.text
    assert _api_balance(client, customer) == 130.5
    me = client.get("/api/v1/partner/me", headers=pa.headers).json()
    assert float(me["balance"]) == 379.5


def test_partner_transfer_refusals(client: TestClient, state: TestServices) -> None:
    pa = make_partner(state, balance=100)
    mine = make_account(state, partner_id=pa.auth_id)
    theirs = make_account(state, partner_id=make_partner(state).auth_id)
    sign_in(client, pa.auth_id, pa.token)
    token = csrf(client.get("/console/partner"))
    assert client.get(f"/console/partner/transfer?customer={theirs.auth_id}").status_code == 404
    r = client.post(
        "/console/partner/transfer", data={"csrf": token, "customer": theirs.auth_id, "amount": "1"}
    )
    assert r.status_code == 404
    r = client.post("/console/partner/transfer", data={"customer": mine.auth_id, "amount": "1"})
    assert r.status_code == 403
    for amount in ("abc", "0", "-5"):
        r = client.get(f"/console/partner/transfer?customer={mine.auth_id}&amount={amount}")
        assert r.status_code == 400, amount
    review = client.get(f"/console/partner/transfer?customer={mine.auth_id}&amount=101")
    assert "does not cover" in review.text
    r = client.post(
        "/console/partner/transfer", data={"csrf": token, "customer": mine.auth_id, "amount": "101"}
    )
    assert r.status_code in (400, 402)
    wallets = state.wallet.balances(state.accounts.get(mine.auth_id))
    assert all(w.balance_minor == 0 for w in wallets)


def test_customers_cannot_transfer_and_partners_have_no_transactions_page(
    client: TestClient, state: TestServices
) -> None:
    pa = make_partner(state, balance=100)
    acct = make_account(state, partner_id=pa.auth_id)
    sign_in(client, acct.auth_id, acct.token)
    assert client.get(f"/console/partner/transfer?customer={acct.auth_id}").status_code == 404
    client.cookies.clear()
    sign_in(client, pa.auth_id, pa.token)
    assert client.get("/console/transactions").status_code == 404
