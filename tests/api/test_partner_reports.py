"""The built-in Number Management checks (issue 5 §5), checked against the ledger."""

import csv
import io
import threading
from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from didstore.services.reports import renewals_due
from tests.conftest import IN_NUMBERS, T0, buy_over_http, make_account, make_partner, stock
from tests.support import TestServices


def test_renewals_due_counts_each_anchor_date_in_the_window() -> None:
    anchor = T0  # 31 Jan
    assert renewals_due(anchor, anchor + timedelta(days=28), anchor + timedelta(days=27)) == 0
    nxt = anchor.replace(month=2, day=28)
    assert renewals_due(anchor, nxt, nxt) == 1
    assert renewals_due(anchor, nxt, anchor.replace(month=3, day=31)) == 2
    assert renewals_due(anchor, nxt, anchor.replace(month=3, day=30)) == 1


def test_renewal_report_flags_accounts_that_cannot_cover_the_window(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    pa = make_partner(state)
    poor = make_account(state, balance=1200, partner_id=pa.auth_id)
    rich = make_account(state, balance=100_000, partner_id=pa.auth_id)
    stock(state, IN_NUMBERS[:4], setup_fee=100, monthly_fee=300)
    for n in IN_NUMBERS[:2]:
        buy_over_http(client, poor, n)  # 1200 - 800 = 400 left; 600 due next month
    for n in IN_NUMBERS[2:4]:
        buy_over_http(client, rich, n)
    url = "/api/v1/partner/reports/renewals"
    assert client.get(url, headers=pa.headers).json()["accounts"] == []  # renewals are 28 days out
    clock.set(clock.now() + timedelta(days=20))
    body = client.get(url, params={"within_days": 14}, headers=pa.headers).json()
    assert [a["account_id"] for a in body["accounts"]] == [poor.auth_id]
    risk = body["accounts"][0]
    assert (risk["balance"], risk["due"], risk["shortfall"]) == (400, 600, 200)
    assert {n["e164"] for n in risk["numbers"]} == set(IN_NUMBERS[:2])
    as_csv = client.get(url, headers={**pa.headers, "Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert as_csv.headers["content-type"].startswith("text/csv") and len(rows) == 2
    assert client.get(url, params={"within_days": 0}, headers=pa.headers).status_code == 400


def test_routing_report_lists_active_numbers_with_nowhere_to_route(
    client: TestClient, state: TestServices
) -> None:
    pa = make_partner(state)
    acct = make_account(state, balance=10_000, partner_id=pa.auth_id)
    stock(state, IN_NUMBERS[:2])
    buy_over_http(client, acct, IN_NUMBERS[0])
    buy_over_http(client, acct, IN_NUMBERS[1])
    with state.db.write() as conn:  # route one of them (routing endpoints set this column)
        from sqlalchemy import update

        from didstore.db.tables import numbers

        conn.execute(
            update(numbers)
            .where(numbers.c.e164 == IN_NUMBERS[1])
            .values(trunk_id="e3e55a78-1234-5678-90ab-cdef12345678")
        )
    body = client.get("/api/v1/partner/reports/routing", headers=pa.headers).json()
    assert [n["e164"] for n in body["numbers"]] == [IN_NUMBERS[0]]


def test_costs_report_equals_the_ledger(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    pa = make_partner(state)
    acct = make_account(state, balance=10_000, partner_id=pa.auth_id, release_fee=50)
    stock(state, IN_NUMBERS[:3], setup_fee=100, monthly_fee=300)
    for n in IN_NUMBERS[:3]:
        buy_over_http(client, acct, n)
    client.delete(f"/api/v1/Account/{acct.auth_id}/numbers/{IN_NUMBERS[0]}", headers=acct.headers)
    client.delete(f"/api/v1/Account/{acct.auth_id}/numbers/{IN_NUMBERS[1]}", headers=acct.headers)
    client.post(
        f"/api/v1/account/{acct.auth_id}/numbers/{IN_NUMBERS[1]}/cancel-release",
        headers=acct.headers,
    )
    body = client.get(
        "/api/v1/partner/reports/costs",
        params={"from": "2026-01-01", "to": "2026-01-31"},
        headers=pa.headers,
    ).json()
    line = body["customers"][0]
    assert (line["purchases"], line["release_fees"], line["refunds"], line["net"]) == (
        1200,
        100,
        50,
        1250,
    )
    ledger = client.get(f"/api/v1/Account/{acct.auth_id}/transactions", headers=acct.headers).json()
    by_type = {g["reference_type"]: g for g in ledger["summary"]["by_reference_type"]}
    assert line["purchases"] == by_type["did_purchase"]["total_debit"]
    assert line["release_fees"] == by_type["did_release"]["total_debit"]
    assert line["refunds"] == by_type["refund"]["total_credit"]
    outside = client.get(
        "/api/v1/partner/reports/costs",
        params={"from": "2026-02-01", "to": "2026-02-28"},
        headers=pa.headers,
    ).json()
    assert outside["customers"] == []
    this_month = client.get("/api/v1/partner/reports/costs", headers=pa.headers).json()
    assert this_month["customers"] == body["customers"]  # default: this month so far
    bad = client.get(
        "/api/v1/partner/reports/costs",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=pa.headers,
    )
    assert bad.status_code == 400


def test_weekly_job_keeps_one_renewal_report_per_partner_and_week(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    pa = make_partner(state)
    make_partner(state)
    assert state.reports.store_weekly_renewals(clock.now()) == 2
    assert state.reports.store_weekly_renewals(clock.now()) == 0  # same ISO week: nothing new
    clock.set(clock.now() + timedelta(days=7))
    assert state.reports.store_weekly_renewals(clock.now()) == 2
    kept = client.get("/api/v1/partner/reports/renewals/kept", headers=pa.headers).json()["reports"]
    assert len(kept) == 2 and kept[0]["period"] > kept[1]["period"]


def test_page_walk_stays_well_formed_while_numbers_are_bought_and_released(
    client: TestClient, state: TestServices
) -> None:
    pa = make_partner(state)
    acct = make_account(state, balance=1_000_000, partner_id=pa.auth_id)
    account = state.accounts.get(acct.auth_id)
    stock(state, IN_NUMBERS[:60])
    for n in IN_NUMBERS[:30]:
        state.numbers.purchase(CLI, account, from_body(n))
    stop = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        i = 30
        try:
            while not stop.is_set() and i < 60:
                state.numbers.purchase(CLI, account, from_body(IN_NUMBERS[i]))
                state.numbers.release(CLI, account, from_body(IN_NUMBERS[i - 30]), immediate=True)
                i += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(15):
            page, seen = 1, 0
            while True:
                r = client.get(
                    "/api/v1/partner/numbers",
                    params={"page": page, "per_page": 7},
                    headers=pa.headers,
                )
                assert r.status_code == 200, r.text
                body = r.json()
                assert set(body) == {"items", "page", "per_page", "total"}
                assert len(body["items"]) <= 7 and body["total"] >= 0
                seen += len(body["items"])
                if not body["items"] or page * 7 >= body["total"]:
                    break
                page += 1
            assert seen <= 60
    finally:
        stop.set()
        worker.join()
    assert not errors, errors
    assert state.wallet.verify() == []


def test_the_reports_job_is_part_of_all(state: TestServices, clock: FixedClock) -> None:

    make_partner(state)
    assert state.jobs.run("reports", clock.now()).partner_reports == 1
    assert state.jobs.run("all", clock.now()).partner_reports == 0  # already kept this week
