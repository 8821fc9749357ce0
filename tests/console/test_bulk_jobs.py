"""The customer's bulk-job pages: the list, one job with a result per number, and cancel
(CSRF-checked); another account's job is a 404 page. Both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient

from didstore.services.bulk_jobs import BulkJob
from didstore.services.models import Actor
from tests.conftest import IN_NUMBERS, AccountHandle, make_account, stock
from tests.console.pages import csrf, marked, sign_in
from tests.support import TestServices


def _submit(state: TestServices, acct: AccountHandle, numbers: list[str]) -> BulkJob:
    actor = Actor(kind="account", auth_id=acct.auth_id, credential="x-auth")
    job = state.bulk_jobs.submit(
        actor, state.accounts.get(acct.auth_id), {"action": "purchase", "numbers": numbers}
    )
    assert isinstance(job, BulkJob)
    return job


def test_jobs_list_and_detail_with_results(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2])
    job = _submit(state, acct, [*IN_NUMBERS[:2], IN_NUMBERS[5]])
    state.jobs.run("bulk")
    sign_in(client, acct.auth_id, acct.token)
    listed = client.get("/console/bulk")
    assert listed.status_code == 200
    assert marked(listed, "job-row", "data-id") == [job.id]
    assert marked(listed, "job-row", "data-status") == ["completed"]
    assert 'href="/console/bulk"' in client.get("/console/home").text  # in the navigation
    detail = client.get(f"/console/bulk/{job.id}")
    assert detail.status_code == 200
    assert marked(detail, "result-row", "data-status") == ["succeeded", "succeeded", "failed"]
    assert "not_found" in detail.text and 'data-testid="cancel"' not in detail.text


def test_cancel_from_the_console(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    other = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    job = _submit(state, acct, IN_NUMBERS[:3])
    sign_in(client, acct.auth_id, acct.token)
    page = client.get(f"/console/bulk/{job.id}")
    assert 'data-testid="cancel"' in page.text
    url = f"/console/bulk/{job.id}/cancel"
    assert client.post(url, data={"csrf": "forged"}).status_code == 403
    done = client.post(url, data={"csrf": csrf(page)})
    assert done.status_code == 200 and "Cancelled: 3 number(s)" in done.text
    assert marked(done, "result-row", "data-status") == ["cancelled"] * 3
    assert state.bulk_jobs.get(state.accounts.get(acct.auth_id), job.id).status == "cancelled"
    sign_in(client, other.auth_id, other.token)
    assert client.get(f"/console/bulk/{job.id}").status_code == 404
