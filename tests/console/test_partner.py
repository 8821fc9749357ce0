"""Partner pages through the TestClient: customers with balances and number counts, the four
reports as tables, CSV downloads equal to the API's, and what other roles may not open."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    buy_over_http,
    make_account,
    make_partner,
    stock,
)
from tests.console.pages import marked, sign_in, sign_in_operator
from tests.support import TestServices


def _world(
    client: TestClient, state: TestServices
) -> tuple[AccountHandle, AccountHandle, AccountHandle]:
    pa = make_partner(state, balance=700)
    poor = make_account(state, balance=1200, partner_id=pa.auth_id)
    rich = make_account(state, balance=100_000, partner_id=pa.auth_id)
    stock(state, IN_NUMBERS[:3], setup_fee=100, monthly_fee=300)
    buy_over_http(client, poor, IN_NUMBERS[0])
    buy_over_http(client, poor, IN_NUMBERS[1])  # 1200 - 800 = 400 left; 600 due at the next renewal
    buy_over_http(client, rich, IN_NUMBERS[2])
    return pa, poor, rich


def test_customers_with_balances_and_counts(client: TestClient, state: TestServices) -> None:
    pa, poor, rich = _world(client, state)
    other_partner = make_partner(state)
    make_account(state, balance=5, partner_id=other_partner.auth_id)  # not this partner's
    sign_in(client, pa.auth_id, pa.token)
    page = client.get("/console/partner")
    assert page.status_code == 200
    assert marked(page, "customer-row", "data-auth-id") == [poor.auth_id, rich.auth_id]
    assert "400.00 INR" in page.text and "99,600.00 INR" in page.text
    counts = page.text.split('data-testid="customer-numbers">')[1:]
    assert [c.split("<")[0] for c in counts] == ["2", "1"]
    assert marked(page, "balance", "data-currency") == ["INR"] and "700.00 INR" in page.text
    found = client.get("/console/partner", params={"search": "zzz-nobody"})
    assert marked(found, "customer-row", "data-auth-id") == []


def test_reports_show_each_table_and_download_the_api_csv(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    pa, poor, _ = _world(client, state)
    clock.set(clock.now() + timedelta(days=20))
    sign_in(client, pa.auth_id, pa.token)
    page = client.get("/console/partner/reports", params={"within_days": 14})
    assert page.status_code == 200
    assert marked(page, "report", "data-report") == ["renewals", "routing", "kyc", "costs"]
    renewals = page.text.split('data-report="renewals"')[1].split("</section>")[0]
    assert poor.auth_id in renewals and "200.00 INR" in renewals  # shortfall 600 - 400
    routing = page.text.split('data-report="routing"')[1].split("</section>")[0]
    assert IN_NUMBERS[0] in routing  # bought numbers route nowhere yet
    for name in ("renewals", "routing", "kyc", "costs"):
        download = client.get(f"/console/partner/reports/{name}.csv", params={"within_days": 14})
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        api = client.get(
            f"/api/v1/partner/reports/{name}",
            params={"within_days": 14},
            headers={**pa.headers, "Accept": "text/csv"},
        )
        assert list(csv.DictReader(io.StringIO(download.text))) == list(
            csv.DictReader(io.StringIO(api.text))
        ), name
    assert client.get("/console/partner/reports/nope.csv").status_code == 404


def test_report_inputs_are_checked(client: TestClient, state: TestServices) -> None:
    pa = make_partner(state)
    sign_in(client, pa.auth_id, pa.token)
    for query in (
        {"within_days": "0"},
        {"from": "yesterday"},
        {"from": "2026-02-02", "to": "2026-02-01"},
    ):
        r = client.get("/console/partner/reports", params=query)
        assert r.status_code == 400 and 'role="alert"' in r.text, query
    assert client.get("/console/partner/reports/costs.csv", params={"from": "x"}).status_code == 400


def test_other_roles_cannot_open_partner_pages(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    for path in (
        "/console/partner",
        "/console/partner/reports",
        "/console/partner/reports/kyc.csv",
    ):
        assert client.get(path).status_code == 404, path
    client.cookies.clear()
    sign_in_operator(client)
    assert client.get("/console/partner").status_code == 404
    client.cookies.clear()
    assert client.get("/console/partner", follow_redirects=False).status_code == 303
    pa = make_partner(state)
    sign_in(client, pa.auth_id, pa.token)
    assert client.get("/console/home").status_code == 404


def test_every_number_across_customers_pages_and_filters(
    client: TestClient, state: TestServices
) -> None:
    pa, _poor, rich = _world(client, state)
    outsider = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[10:11])
    buy_over_http(client, outsider, IN_NUMBERS[10])  # no partner: never shown
    sign_in(client, pa.auth_id, pa.token)
    page = client.get("/console/partner/numbers")
    assert marked(page, "number-row", "data-e164") == IN_NUMBERS[:3]
    one = client.get("/console/partner/numbers", params={"customer": rich.auth_id})
    assert marked(one, "number-row", "data-e164") == [IN_NUMBERS[2]]
    hit = client.get("/console/partner/numbers", params={"search": IN_NUMBERS[1][-6:]})
    assert marked(hit, "number-row", "data-e164") == [IN_NUMBERS[1]]
    assert client.get("/console/partner/numbers", params={"search": "x"}).status_code == 400
    stranger = client.get("/console/partner/numbers", params={"customer": outsider.auth_id})
    assert stranger.status_code == 404
