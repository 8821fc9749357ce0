"""Operator stock levels and jobs: counts by country and prefix equal the stock; a job runs
only from its confirmation form, reports what it did, and is audited."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from tests.conftest import IN_NUMBERS, US_NUMBERS, buy_over_http, make_account, stock
from tests.console.pages import csrf, marked, sign_in, sign_in_operator
from tests.support import TestServices


def test_stock_levels_by_country_and_prefix(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:5])
    stock(state, US_NUMBERS[:2], currency="USD")
    buy_over_http(client, acct, IN_NUMBERS[0])  # sold: no longer in stock
    sign_in_operator(client)
    page = client.get("/console/operator/stock")
    assert page.status_code == 200
    countries = dict(
        zip(
            marked(page, "stock-country", "data-key"),
            marked(page, "stock-country", "data-count"),
            strict=True,
        )
    )
    assert countries == {"IN": "4", "US": "2"}
    prefixes = dict(
        zip(
            marked(page, "stock-prefix", "data-key"),
            marked(page, "stock-prefix", "data-count"),
            strict=True,
        )
    )
    assert prefixes == {"+9180": "4", "+1415": "2"}


def test_empty_stock_says_what_to_do(client: TestClient, state: TestServices) -> None:
    sign_in_operator(client)
    assert "import a CSV" in client.get("/console/operator/stock").text


def test_a_job_runs_after_confirmation_and_is_audited(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=2)
    buy_over_http(client, acct, IN_NUMBERS[0])
    clock.set(clock.now() + timedelta(days=29))  # the first renewal (28 Feb) is due
    sign_in_operator(client)
    listing = client.get("/console/operator/jobs")
    assert marked(listing, "run", "data-job") == ["renewals", "lifecycle", "reports", "all"]
    confirm = client.get("/console/operator/jobs?run=renewals")
    assert 'data-testid="confirm"' in confirm.text
    assert client.post("/console/operator/jobs", data={"job": "renewals"}).status_code == 403
    r = client.post("/console/operator/jobs", data={"csrf": csrf(confirm), "job": "renewals"})
    assert r.status_code == 200 and marked(r, "job-report", "data-job") == ["renewals"]
    assert "<dt>charged</dt><dd>1</dd>" in r.text
    api = client.get(f"/api/v1/Account/{acct.auth_id}/balance/INR", headers=acct.headers)
    assert float(api.json()["balance"]) == 1000 - 3 - 2
    audit = client.get("/console/operator/audit", params={"action": "job.run"})
    assert marked(audit, "audit-row", "data-action") == ["job.run"]
    assert marked(client.get("/console/operator/jobs"), "job-run", "data-job") == ["renewals"]
    bad = client.post("/console/operator/jobs", data={"csrf": csrf(confirm), "job": "nope"})
    assert bad.status_code == 400
    assert client.get("/console/operator/jobs?run=nope").status_code == 404


def test_customers_cannot_see_stock_or_jobs(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    token = csrf(client.get("/console/home"))
    assert client.get("/console/operator/stock").status_code == 404
    assert client.get("/console/operator/jobs").status_code == 404
    r = client.post("/console/operator/jobs", data={"csrf": token, "job": "all"})
    assert r.status_code == 404
