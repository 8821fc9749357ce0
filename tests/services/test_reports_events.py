"""``report.renewal_risk`` (issue 13): the weekly renewal check, kept once per partner and ISO
week, tells each account at risk through the feed, in the transaction that keeps the report:
once per account and week however often the job runs and however many runners race."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    buy_over_http,
    make_account,
    make_partner,
    stock,
)
from tests.support import TestServices, run_together

RISK = "report.renewal_risk"


def _world(client: TestClient, state: TestServices, clock: FixedClock) -> dict[str, Any]:
    pa = make_partner(state)
    poor = make_account(state, balance=1200, partner_id=pa.auth_id)
    rich = make_account(state, balance=100_000, partner_id=pa.auth_id)
    stock(state, IN_NUMBERS[:3], setup_fee=100, monthly_fee=300)
    for n in IN_NUMBERS[:2]:
        buy_over_http(client, poor, n)  # 1200 - 800 = 400 left; 600 due at the next renewal
    buy_over_http(client, rich, IN_NUMBERS[2])
    clock.set(clock.now() + timedelta(days=20))  # the renewals are now 8 days out
    return {"partner": pa, "poor": poor, "rich": rich}


def _feed(client: TestClient, acct: AccountHandle | None = None) -> list[dict[str, Any]]:
    if acct is None:
        url, headers = "/api/v1/admin/events", admin_headers()
    else:
        url, headers = f"/api/v1/Account/{acct.auth_id}/events", acct.headers
    r = client.get(url, params={"type": RISK}, headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_the_weekly_report_is_an_event_once_per_account_and_week(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    w = _world(client, state, clock)
    assert state.jobs.run("reports", clock.now()).partner_reports == 1
    assert state.jobs.run("reports", clock.now()).partner_reports == 0  # same week: kept

    mine = _feed(client, w["poor"])
    assert len(mine) == 1
    event = mine[0]
    assert event["account_id"] == w["poor"].auth_id
    year, week, _ = clock.now().isocalendar()
    data = event["data"]
    assert data["period"] == f"{year}-W{week:02d}" and data["within_days"] == 14
    assert (data["account_id"], data["partner_id"]) == (w["poor"].auth_id, w["partner"].auth_id)
    [risk] = data["risks"]
    assert (risk["currency"], risk["balance"], risk["due"], risk["shortfall"]) == (
        "INR",
        400,
        600,
        200,
    )
    assert sorted(n["e164"] for n in risk["numbers"]) == IN_NUMBERS[:2]
    # the same report as the partner's own API answers
    report = client.get(
        "/api/v1/partner/reports/renewals", params={"within_days": 14}, headers=w["partner"].headers
    ).json()
    assert report["accounts"] == data["risks"]

    assert _feed(client, w["rich"]) == []  # an account that can pay hears nothing
    assert [e["id"] for e in _feed(client)] == [event["id"]]  # the operator's feed

    clock.set(clock.now() + timedelta(days=7))  # next ISO week, still short (1 day out)
    assert state.jobs.run("reports", clock.now()).partner_reports == 1
    periods = [e["data"]["period"] for e in _feed(client, w["poor"])]
    assert len(periods) == 2 and periods[0] < periods[1]


def test_racing_runners_record_it_once(
    client: TestClient, state: TestServices, clock: FixedClock, racers: list[TestServices]
) -> None:
    w = _world(client, state, clock)
    out = run_together(
        racers, [lambda stack: stack.reports.store_weekly_renewals(clock.now())] * len(racers)
    )
    assert out.errors == []
    assert sorted(out.results) == [0] * (len(racers) - 1) + [1]
    assert [e["account_id"] for e in _feed(client)] == [w["poor"].auth_id]
    assert len(_feed(client, w["poor"])) == 1
