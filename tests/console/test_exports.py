"""The console's "Download CSV" links (ADR 0024): each download is the API's CSV for the
same filters, and only the page's role may open it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, admin_headers, buy_over_http, make_account, stock
from tests.console.pages import sign_in, sign_in_operator
from tests.support import TestServices


def _link(page_text: str) -> str:
    found = re.search(r'<a data-testid="csv" href="([^"]+)"', page_text)
    assert found, "no Download CSV link"
    return found.group(1).replace("&amp;", "&")


def test_customer_downloads_equal_the_api_csv(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    for e164 in IN_NUMBERS[:3]:
        buy_over_http(client, acct, e164)
    api = {**acct.headers, "Accept": "text/csv"}
    numbers_api = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=api)
    ledger_api = client.get(f"/api/v1/Account/{acct.auth_id}/transactions", headers=api)
    searched_api = client.get(
        f"/api/v1/Account/{acct.auth_id}/numbers", params={"search": IN_NUMBERS[1]}, headers=api
    )
    sign_in(client, acct.auth_id, acct.token)
    numbers = client.get(_link(client.get("/console/numbers").text))
    assert numbers.status_code == 200
    assert numbers.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in numbers.headers["content-disposition"]
    assert numbers.content == numbers_api.content
    searched_link = _link(client.get("/console/numbers", params={"search": IN_NUMBERS[1]}).text)
    assert client.get(searched_link).content == searched_api.content
    ledger = client.get(_link(client.get("/console/transactions").text))
    assert ledger.content == ledger_api.content
    assert client.get("/console/operator/audit.csv").status_code == 404  # not an operator


def test_operator_downloads_equal_the_api_csv(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    buy_over_http(client, acct, IN_NUMBERS[0])
    api = {**admin_headers(), "Accept": "text/csv"}
    inventory_api = client.get("/api/v1/admin/inventory", headers=api)
    audit_api = client.get("/api/v1/admin/audit", params={"e164": IN_NUMBERS[0]}, headers=api)
    sign_in_operator(client)
    inventory = client.get(_link(client.get("/console/operator/inventory").text))
    assert inventory.status_code == 200 and inventory.content == inventory_api.content
    assert inventory.content.count(b"\r\n") == 4
    page = client.get("/console/operator/audit", params={"e164": IN_NUMBERS[0]})
    audit = client.get(_link(page.text))
    assert audit.status_code == 200 and audit.content == audit_api.content
    assert client.get("/console/numbers.csv").status_code == 404  # not a customer
