"""The operator's bulk-job pages (console/operator_bulk.py): every account's jobs, filtered
by account and state and paged, and one job with its results; other roles get 404. Both
databases."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from didstore.services.bulk_jobs import BulkJob
from didstore.services.models import Actor
from tests.conftest import IN_NUMBERS, AccountHandle, make_account, stock
from tests.console.pages import marked, sign_in, sign_in_operator
from tests.support import TestServices


def _submit(state: TestServices, acct: AccountHandle, numbers: list[str]) -> BulkJob:
    actor = Actor(kind="account", auth_id=acct.auth_id, credential="x-auth")
    job = state.bulk_jobs.submit(
        actor, state.accounts.get(acct.auth_id), {"action": "purchase", "numbers": numbers}
    )
    assert isinstance(job, BulkJob)
    return job


def test_the_operator_lists_every_accounts_jobs_and_opens_one(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    one = make_account(state, balance=10_000)
    two = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    first = _submit(state, one, [IN_NUMBERS[0], IN_NUMBERS[9]])
    state.jobs.run("bulk")
    clock.set(clock.now() + timedelta(minutes=1))
    second = _submit(state, two, IN_NUMBERS[1:3])
    sign_in_operator(client)
    page = client.get("/console/operator/bulk")
    assert page.status_code == 200
    assert marked(page, "job-row", "data-id") == [second.id, first.id]  # newest first
    assert marked(page, "job-row", "data-account") == [two.auth_id, one.auth_id]
    assert 'href="/console/operator/bulk"' in page.text  # the nav link
    theirs = client.get("/console/operator/bulk", params={"account": one.auth_id})
    assert marked(theirs, "job-row", "data-id") == [first.id]
    pending = client.get("/console/operator/bulk", params={"status": "pending"})
    assert marked(pending, "job-row", "data-id") == [second.id]
    done = client.get("/console/operator/bulk", params={"status": "completed", "page": "2"})
    assert marked(done, "job-row", "data-id") == [] and "1 in all" in done.text
    bad = client.get("/console/operator/bulk", params={"status": "done"})
    assert bad.status_code == 400 and "status must be one of" in bad.text
    shown = client.get(f"/console/operator/bulk/{first.id}")
    assert shown.status_code == 200
    assert marked(shown, "result-row", "data-status") == ["succeeded", "failed"]
    assert one.auth_id in shown.text and "not_found" in shown.text
    assert 'data-testid="cancel"' not in shown.text  # read only
    assert client.get("/console/operator/bulk/nope").status_code == 404


def test_a_customer_does_not_see_the_operator_pages(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    job = _submit(state, acct, IN_NUMBERS[:1])
    sign_in(client, acct.auth_id, acct.token)
    assert client.get("/console/operator/bulk").status_code == 404
    assert client.get(f"/console/operator/bulk/{job.id}").status_code == 404
