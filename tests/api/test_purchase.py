"""Purchase from inventory (spec §4.2, §10.1; issue 2 §5)."""

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, US_NUMBERS, make_account, make_sub_account, stock
from tests.support import TestServices


def _buy(client: TestClient, acct, e164: str, auth_id: str | None = None, **extra):
    return client.post(
        f"/api/v1/Account/{auth_id or acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": e164, **extra},
        headers=acct.headers,
    )


def _balance(client: TestClient, acct, currency: str = "INR") -> float:
    return client.get(
        f"/api/v1/Account/{acct.auth_id}/balance/{currency}", headers=acct.headers
    ).json()["balance"]


def test_purchase_debits_setup_plus_monthly_once_and_records_the_ledger(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    r = _buy(client, acct, IN_NUMBERS[0], currency="INR", unknown_extra="ignored")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == "Number purchased successfully"
    n = body["number"]
    assert n["account_id"] == acct.auth_id and n["source"] == "inventory"
    assert n["purchased_at"] == n["last_billing_date"] == "2026-01-31T10:00:00.000000Z"
    assert n["next_billing_date"] == "2026-02-28T10:00:00.000000Z"  # month-end clamp
    assert _balance(client, acct) == 600
    tx = client.get(
        f"/api/v1/Account/{acct.auth_id}/transactions",
        params={"reference_type": "did_purchase"},
        headers=acct.headers,
    ).json()
    assert tx["total"] == 1
    assert tx["transactions"][0]["amount"] == 400 and tx["transactions"][0]["type"] == "debit"
    assert state.wallet.verify() == []


def test_a_retried_purchase_of_a_number_already_bought_charges_nothing(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1])
    assert _buy(client, acct, IN_NUMBERS[0]).status_code == 200
    again = _buy(client, acct, IN_NUMBERS[0])
    assert again.status_code == 200 and again.json()["number"]["e164"] == IN_NUMBERS[0]
    assert _balance(client, acct) == 600


def test_not_in_inventory_is_404_and_someone_elses_number_too(
    client: TestClient, state: TestServices
) -> None:
    a = make_account(state, balance=1000)
    b = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1])
    assert _buy(client, a, IN_NUMBERS[0]).status_code == 200
    r = _buy(client, b, IN_NUMBERS[0])
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "number not found in inventory"}
    assert _buy(client, b, IN_NUMBERS[5]).status_code == 404
    assert _balance(client, b) == 1000


def test_insufficient_balance_is_402_and_changes_nothing(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=399)
    stock(state, IN_NUMBERS[:1])
    r = _buy(client, acct, IN_NUMBERS[0])
    assert r.status_code == 402
    assert r.json()["error"] == "insufficient_balance"
    assert set(r.json()) == {"error", "message"}
    assert _balance(client, acct) == 399
    inv = client.get(
        f"/api/v1/Account/{acct.auth_id}/inventory/numbers", headers=acct.headers
    ).json()
    assert inv["total"] == 1
    listed = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=acct.headers).json()
    assert listed["total"] == 0


def test_no_wallet_in_the_numbers_currency_is_insufficient_balance(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)  # INR only
    stock(state, US_NUMBERS[:1], currency="USD", setup_fee=1, monthly_fee=2)
    assert _buy(client, acct, US_NUMBERS[0]).status_code == 402


def test_currency_must_match_the_number(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1])
    r = _buy(client, acct, IN_NUMBERS[0], currency="USD")
    assert r.status_code == 400 and "INR" in r.json()["message"]
    assert _buy(client, acct, IN_NUMBERS[0], currency="ZZZ").status_code == 400


def test_sub_account_purchase_is_charged_to_the_parent(
    client: TestClient, state: TestServices
) -> None:
    parent = make_account(state, balance=1000)
    sub = make_sub_account(state, parent)
    stock(state, IN_NUMBERS[:2])
    r = _buy(client, sub, IN_NUMBERS[0])
    assert r.status_code == 200 and r.json()["number"]["account_id"] == sub.auth_id
    # the parent may also buy for its sub-account with its own credentials
    r = _buy(client, parent, IN_NUMBERS[1], auth_id=sub.auth_id)
    assert r.status_code == 200 and r.json()["number"]["account_id"] == sub.auth_id
    assert _balance(client, parent) == 200
    # the sub-account sees its parent's wallet
    assert _balance(client, sub) == 200


def test_bad_purchase_bodies_are_400(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    for body in ({}, {"e164": 919876543210}, {"e164": "not-a-number"}, {"e164": None}):
        r = client.post(url, json=body, headers=acct.headers)
        assert r.status_code == 400, (body, r.text)
    r = client.post(url, content=b"{", headers={**acct.headers, "content-type": "application/json"})
    assert r.status_code == 400
