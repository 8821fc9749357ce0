"""Odd input in any console URL or form gets a clear 4xx page, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_account, make_partner
from tests.console.pages import csrf, sign_in, sign_in_operator
from tests.support import TestServices

ODD = [
    "%00",
    "a\x00b",
    "x" * 300,
    "%2B",
    "+99999999999999999",
    "%F0%9F%93%9E",
    "'; drop table x;--",
]


@pytest.mark.parametrize("raw", ODD)
def test_odd_values_never_500(client: TestClient, state: TestServices, raw: str) -> None:
    odd = raw.replace("\x00", "%00")  # in URLs; forms get ``raw`` itself
    acct = make_account(state, balance=10)
    pa = make_partner(state)
    sign_in(client, acct.auth_id, acct.token)
    token = csrf(client.get("/console/home"))
    for path in (
        f"/console/numbers/{odd}",
        f"/console/numbers/{odd}/release",
        f"/console/numbers/{odd}/cancel-release",
        f"/console/numbers/{odd}/move?to={odd}",
        f"/console/inventory?country={odd}&search={odd}&exclude={odd}&type={odd}&page={odd}",
        f"/console/inventory/buy?e164={odd}",
        f"/console/numbers?search={odd}&page={odd}",
        f"/console/transactions?currency={odd}&from={odd}&type={odd}",
        f"/console/transactions.csv?to={odd}",
    ):
        assert client.get(path).status_code < 500, path
    for action, fields in (
        ("/console/inventory/buy", {"e164": raw}),
        (f"/console/numbers/{odd}/release", {}),
        (f"/console/numbers/{odd}/trunk", {"trunk_id": raw}),
        (f"/console/numbers/{odd}/application", {"application_id": raw}),
        ("/console/trunks", {"name": raw, "inbound_destination": raw}),
        ("/console/applications", {"app_name": raw, "answer_url": raw}),
        ("/console/subaccounts", {"name": raw, "email": raw}),
    ):
        r = client.post(action, data={"csrf": token, **fields})
        assert r.status_code < 500, action
    client.cookies.clear()
    sign_in(client, pa.auth_id, pa.token)
    token = csrf(client.get("/console/partner"))
    for path in (
        f"/console/partner?search={odd}&page={odd}",
        f"/console/partner/numbers?customer={odd}&search={odd}",
        f"/console/partner/reports?within_days={odd}&from={odd}&to={odd}",
        f"/console/partner/reports/{odd}.csv",
        f"/console/partner/transfer?customer={odd}&amount={odd}",
    ):
        assert client.get(path).status_code < 500, path
    r = client.post(
        "/console/partner/transfer", data={"csrf": token, "customer": raw, "amount": raw}
    )
    assert r.status_code < 500
    client.cookies.clear()
    sign_in_operator(client)
    token = csrf(client.get("/console/operator"))
    for path in (
        f"/console/operator?search={odd}",
        f"/console/operator/accounts/{odd}",
        f"/console/operator/accounts/{acct.auth_id}?amount={odd}&currency={odd}",
        f"/console/operator/audit?e164={odd}&account_id={odd}&from={odd}",
        f"/console/operator/route?e164={odd}",
        f"/console/operator/jobs?run={odd}",
    ):
        assert client.get(path).status_code < 500, path
    for action, fields in (
        ("/console/operator/accounts", {"name": raw, "currency": raw, "partner_id": raw}),
        (f"/console/operator/accounts/{acct.auth_id}/credit", {"amount": raw, "currency": raw}),
        (f"/console/operator/accounts/{odd}/kyc", {"verified": raw}),
        ("/console/operator/jobs", {"job": raw}),
        ("/console/operator/inventory", {"step": "import", "csv": f"e164\n{raw}\n"}),
    ):
        r = client.post(action, data={"csrf": token, **fields})
        assert r.status_code < 500, action
