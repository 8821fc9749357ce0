"""Jobs by hand through the operator API (``POST /api/v1/admin/jobs/{name}/run``)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from didstore.domain.billing import add_months
from tests.conftest import admin_headers, make_account, numbers_due_in_a_month
from tests.support import TestServices


def test_api_job_run_returns_the_report(
    state: TestServices, clock: FixedClock, client: TestClient
) -> None:
    numbers_due_in_a_month(state, clock)
    r = client.post("/api/v1/admin/jobs/renewals/run", json={}, headers=admin_headers())
    assert r.status_code == 200 and r.json()["charged"] == 0  # not due yet
    clock.set(add_months(clock.now(), 1))
    r = client.post("/api/v1/admin/jobs/all/run", headers=admin_headers())
    body = r.json()
    assert r.status_code == 200, r.text
    assert {"charged", "suspended", "released", "failed"} <= body.keys()
    assert body["charged"] == 2 and body["failed"] == 0
    # `now` in the past is allowed (nothing new is due then); in the future it is refused.
    past = (clock.now() - timedelta(days=1)).isoformat()
    r = client.post("/api/v1/admin/jobs/renewals/run", json={"now": past}, headers=admin_headers())
    assert r.status_code == 200 and r.json()["charged"] == 0
    future = (clock.now() + timedelta(days=400)).isoformat()
    r = client.post(
        "/api/v1/admin/jobs/renewals/run", json={"now": future}, headers=admin_headers()
    )
    assert r.status_code == 400
    assert client.post("/api/v1/admin/jobs/nope/run", headers=admin_headers()).status_code == 400
    r = client.post("/api/v1/admin/jobs/all/run", json={"now": "x"}, headers=admin_headers())
    assert r.status_code == 400
    acct = make_account(state)
    assert client.post("/api/v1/admin/jobs/all/run", headers=acct.headers).status_code == 403
