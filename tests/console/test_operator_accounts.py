"""Operator account pages: create a main account (token shown once, never in a cookie),
credit a wallet after a review page (checked through the API), toggle KYC, and the route
lookup; each form needs its CSRF token and other roles get 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    buy_over_http,
    make_account,
    make_partner,
    make_sub_account,
    stock,
)
from tests.console.pages import csrf, marked, sign_in, sign_in_operator
from tests.support import TestServices


def test_create_account_shows_the_token_once(client: TestClient, state: TestServices) -> None:
    pa = make_partner(state)
    sign_in_operator(client)
    page = client.get("/console/operator")
    r = client.post(
        "/console/operator/accounts",
        data={"csrf": csrf(page), "name": "Acme", "currency": "USD", "partner_id": pa.auth_id},
    )
    assert r.status_code == 201
    [auth_id] = marked(r, "created", "data-auth-id")
    token = re.search(r'data-testid="token">([^<]+)<', r.text)
    assert token is not None
    assert token.group(1) not in r.headers.get("set-cookie", "")
    made = AccountHandle(auth_id, token.group(1))
    me = client.get(f"/api/v1/Account/{auth_id}/balance/USD", headers=made.headers)
    assert me.status_code == 200
    assert state.accounts.get(auth_id).partner_id is not None
    bad = client.post(
        "/console/operator/accounts", data={"csrf": csrf(page), "name": "", "currency": "INR"}
    )
    assert bad.status_code == 400
    forged = client.post("/console/operator/accounts", data={"name": "x", "currency": "INR"})
    assert forged.status_code == 403


def test_credit_is_reviewed_then_applied(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=5)
    sign_in_operator(client)
    url = f"/console/operator/accounts/{acct.auth_id}"
    page = client.get(url)
    assert marked(page, "balance", "data-currency") == ["INR"]
    review = client.get(url, params={"amount": "12.34", "currency": "INR"})
    assert "12.34 INR" in review.text and "17.34 INR" in review.text
    r = client.post(
        f"{url}/credit", data={"csrf": csrf(review), "amount": "12.34", "currency": "INR"}
    )
    assert r.status_code == 200 and "Credited 12.34 INR" in r.text
    api = client.get(f"/api/v1/Account/{acct.auth_id}/balance/INR", headers=acct.headers)
    assert float(api.json()["balance"]) == 17.34
    assert client.get(url, params={"amount": "-1"}).status_code == 400
    assert client.get(url, params={"amount": "1", "currency": "ZZZ"}).status_code == 400
    assert client.post(f"{url}/credit", data={"amount": "1", "currency": "INR"}).status_code == 403
    sub = make_sub_account(state, acct)
    assert "Credit the wallet" not in client.get(f"/console/operator/accounts/{sub.auth_id}").text
    assert client.get("/console/operator/accounts/MA_NOPE").status_code == 404


def test_kyc_toggle(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    sign_in_operator(client)
    url = f"/console/operator/accounts/{acct.auth_id}"
    page = client.get(url)
    assert marked(page, "kyc", "data-verified") == ["false"]
    r = client.post(f"{url}/kyc", data={"csrf": csrf(page), "verified": "true"})
    assert "KYC marked verified." in r.text and marked(r, "kyc", "data-verified") == ["true"]
    r = client.post(f"{url}/kyc", data={"csrf": csrf(r), "verified": "false"})
    assert marked(r, "kyc", "data-verified") == ["false"]


def test_route_lookup(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2])
    buy_over_http(client, acct, IN_NUMBERS[0])
    sign_in_operator(client)
    held = client.get("/console/operator/route", params={"e164": IN_NUMBERS[0]})
    assert marked(held, "route", "data-routable") == ["false"]  # no trunk, no application
    assert acct.auth_id in held.text
    stocked = client.get("/console/operator/route", params={"e164": IN_NUMBERS[1]})
    assert marked(stocked, "route", "data-routable") == ["false"]
    assert client.get("/console/operator/route", params={"e164": "+15005550000"}).status_code == 404
    assert client.get("/console/operator/route", params={"e164": "abc"}).status_code == 404


def test_operator_blocks_and_unblocks_a_number_from_the_route_box(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1])
    buy_over_http(client, acct, IN_NUMBERS[0])
    sign_in_operator(client)
    page = client.get("/console/operator/route", params={"e164": IN_NUMBERS[0]})
    assert 'data-testid="block"' in page.text
    form = {"csrf": csrf(page), "e164": IN_NUMBERS[0], "action": "block", "reason": "fraud"}
    assert (
        client.post("/console/operator/route/block", data={**form, "csrf": "x"}).status_code == 403
    )
    done = client.post("/console/operator/route/block", data=form)
    assert done.status_code == 200 and "is blocked" in done.text  # followed the 303
    assert 'data-testid="unblock"' in done.text
    status = client.get(
        f"/api/v1/Account/{acct.auth_id}/numbers/{IN_NUMBERS[0]}", headers=acct.headers
    ).json()
    assert status["is_blocked"] is True
    again = client.post("/console/operator/route/block", data=form)  # already blocked
    assert again.status_code == 409 and "already blocked" in again.text
    back = client.post(
        "/console/operator/route/block", data={**form, "csrf": csrf(done), "action": "unblock"}
    )
    assert back.status_code == 200 and "back in service" in back.text


def test_other_roles_cannot_reach_operator_account_pages(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    token = csrf(client.get("/console/home"))
    for path in (f"/console/operator/accounts/{acct.auth_id}", "/console/operator/route"):
        assert client.get(path).status_code == 404
    r = client.post(
        f"/console/operator/accounts/{acct.auth_id}/credit",
        data={"csrf": token, "amount": "100", "currency": "INR"},
    )
    assert r.status_code == 404
    r = client.post("/console/operator/accounts", data={"csrf": token, "name": "x"})
    assert r.status_code == 404
