"""Operator pages through the TestClient: accounts, the audit log with filters, and the CSV
import (dry run with per-row errors, then the import), each form needing its CSRF token."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from didstore.services.inventory import SearchFilters
from tests.conftest import IN_NUMBERS, buy_over_http, make_account, stock
from tests.console.pages import csrf, marked, sign_in, sign_in_operator
from tests.support import TestServices

GOOD, OTHER, TAKEN = IN_NUMBERS[40], IN_NUMBERS[41], IN_NUMBERS[42]


def _csv(*lines: str) -> bytes:
    return ("e164,region,setup_fee,monthly_fee,currency\n" + "\n".join(lines) + "\n").encode()


def test_accounts_list_pages_and_searches(client: TestClient, state: TestServices) -> None:
    made = [make_account(state).auth_id for _ in range(27)]
    sign_in_operator(client)
    first = marked(client.get("/console/operator"), "account-row", "data-auth-id")
    second = marked(client.get("/console/operator?page=2"), "account-row", "data-auth-id")
    assert first == made[::-1][:25] and second == made[::-1][25:]
    hit = client.get("/console/operator", params={"search": made[3].lower()})
    assert marked(hit, "account-row", "data-auth-id") == [made[3]]


def test_audit_log_filters_by_number_and_account(client: TestClient, state: TestServices) -> None:
    a = make_account(state, balance=1000)
    b = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2])
    buy_over_http(client, a, IN_NUMBERS[0])
    buy_over_http(client, b, IN_NUMBERS[1])
    sign_in_operator(client)
    everything = client.get("/console/operator/audit")
    assert marked(everything, "audit-row", "data-action").count("number.purchase") == 2
    one = client.get("/console/operator/audit", params={"e164": IN_NUMBERS[0]})
    assert marked(one, "audit-row", "data-action") == ["number.purchase"]
    assert a.auth_id in one.text and b.auth_id not in one.text
    by_account = client.get("/console/operator/audit", params={"account_id": b.auth_id})
    assert marked(by_account, "audit-row", "data-action") == [
        "number.purchase",
        "wallet.credit",
        "account.create",
    ]
    assert client.get("/console/operator/audit", params={"from": "soon"}).status_code == 400
    assert client.get("/console/operator/audit", params={"e164": "12ab"}).status_code == 400
    none = client.get("/console/operator/audit", params={"to": "2000-01-01"})
    assert marked(none, "audit-row", "data-action") == []


def test_csv_import_is_checked_then_imported(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, [TAKEN])
    buy_over_http(client, acct, TAKEN)
    sign_in_operator(client)
    page = client.get("/console/operator/inventory")
    body = _csv(
        f"{GOOD},Karnataka,1,3,INR",
        "+91123,Nowhere,1,3,INR",
        f"{OTHER},Karnataka,-5,3,INR",
        f"{TAKEN},Karnataka,1,3,INR",
        f"{GOOD},Karnataka,1,3,INR",
    )
    check = client.post(
        "/console/operator/inventory",
        data={"csrf": csrf(page), "step": "check"},
        files={"file": ("stock.csv", body, "text/csv")},
    )
    assert check.status_code == 200, check.text
    assert marked(check, "dry-run", "data-created") == ["1"]
    assert marked(check, "row-error", "data-row") == ["2", "3"]
    # the dry run stocked nothing
    assert state.inventory.search(SearchFilters(search=GOOD[1:]), 1, 10).total == 0
    text = re.search(r'<textarea name="csv"[^>]*>(.*?)</textarea>', check.text, re.S)
    assert text is not None
    done = client.post(
        "/console/operator/inventory",
        data={"csrf": csrf(check), "step": "import", "csv": html.unescape(text.group(1))},
        follow_redirects=False,
    )
    assert done.status_code == 303
    landed = client.get(done.headers["location"])
    assert "Imported 1 number(s); 2 already stocked or repeated; 2 row(s) refused." in landed.text


def test_import_refuses_missing_file_bad_csv_and_forged_forms(
    client: TestClient, state: TestServices
) -> None:
    sign_in_operator(client)
    page = client.get("/console/operator/inventory")
    token = csrf(page)
    r = client.post("/console/operator/inventory", data={"csrf": token, "step": "check"})
    assert r.status_code == 400 and "choose a CSV" in r.text
    r = client.post(
        "/console/operator/inventory",
        data={"csrf": token, "step": "check"},
        files={"file": ("x.csv", b"number,price\n1,2\n", "text/csv")},
    )
    assert r.status_code == 400
    r = client.post(
        "/console/operator/inventory",
        data={"csrf": "forged", "step": "import", "csv": _csv(f"{GOOD},K,1,3,INR").decode()},
    )
    assert r.status_code == 403


def test_customers_and_partners_cannot_open_operator_pages(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    for path in ("/console/operator", "/console/operator/audit", "/console/operator/inventory"):
        assert client.get(path).status_code == 404, path
    page = client.get("/console/home")
    r = client.post(
        "/console/operator/inventory",
        data={"csrf": csrf(page), "step": "import", "csv": _csv(f"{GOOD},K,1,3,INR").decode()},
    )
    assert r.status_code == 404
