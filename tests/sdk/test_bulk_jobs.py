"""Bulk jobs through the SDK against a real server, in both flavours: submit, preview (with
the confirmation token of a large release), get, list, cancel and wait."""

from __future__ import annotations

import pytest

from didstore.client import APIError, Client, ConflictError
from didstore.client.models import BulkJob
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour


def _run_bulk_step(live: LiveServer) -> None:
    with live.admin() as http:
        r = http.post("/api/v1/admin/jobs/bulk/run")
        assert r.status_code == 200, r.text


def test_submit_preview_get_list_and_wait(
    live: LiveServer, client: Client, account: Account
) -> None:
    numbers = live.stock(3)
    preview = client.bulk_jobs.preview(account.auth_id, "purchase", numbers)
    assert preview.count == 3 and preview.succeed == 3 and preview.currency == "INR"
    assert preview.total_cost_minor == 3 * 40_000 and not preview.confirmation_required
    job = client.bulk_jobs.submit(account.auth_id, "purchase", numbers)
    assert job.status == "pending" and job.progress["total"] == 3
    assert job.http is not None and job.http.status_code == 202
    assert [j.id for j in client.bulk_jobs.list(account.auth_id, limit=5)][:1] == [job.id]
    _run_bulk_step(live)
    seen: list[BulkJob] = []
    done = client.bulk_jobs.wait(account.auth_id, job.id, interval=0.05, progress=seen.append)
    assert done.status == "completed" and done.progress["succeeded"] == 3
    assert [r.e164 for r in done.results] == numbers and seen[-1].id == job.id
    assert client.bulk_jobs.get(account.auth_id, job.id).results[0].status == "succeeded"


def test_confirmation_and_cancel(live: LiveServer, client: Client, account: Account) -> None:
    numbers = live.stock(11)
    bought = client.bulk_jobs.submit(account.auth_id, "purchase", numbers)
    _run_bulk_step(live)
    assert client.bulk_jobs.wait(account.auth_id, bought.id, timeout=30).progress["succeeded"] == 11
    with pytest.raises(APIError) as refused:
        client.bulk_jobs.submit(account.auth_id, "release", numbers)
    assert refused.value.status == 428 and refused.value.code == "confirmation_required"
    preview = client.bulk_jobs.preview(account.auth_id, "release", numbers)
    assert preview.confirmation_required and preview.confirm_token
    with pytest.raises(APIError) as wrong:
        client.bulk_jobs.submit(
            account.auth_id,
            "release",
            [*numbers[:10], *live.stock(1)],
            confirm=preview.confirm_token,
        )
    assert wrong.value.status == 422 and wrong.value.code == "confirmation_invalid"
    job = client.bulk_jobs.submit(
        account.auth_id, "release", numbers, confirm=preview.confirm_token
    )
    cancelled = client.bulk_jobs.cancel(account.auth_id, job.id)
    assert cancelled.status == "cancelled" and cancelled.progress["cancelled"] == 11
    assert client.bulk_jobs.wait(account.auth_id, job.id).status == "cancelled"
    with pytest.raises(ConflictError) as again:
        client.bulk_jobs.cancel(account.auth_id, job.id)
    assert again.value.code == "bulk_job_finished"


def test_move_to_a_sub_account_and_back_as_jobs(
    live: LiveServer, client: Client, account: Account
) -> None:
    numbers = live.stock(2)
    bought = client.bulk_jobs.submit(account.auth_id, "purchase", numbers)
    created = client.sub_accounts.create(account.auth_id, "branch")
    assert created.auth_credentials is not None
    sub = created.auth_credentials.auth_id
    _run_bulk_step(live)
    assert client.bulk_jobs.wait(account.auth_id, bought.id, timeout=30).progress["succeeded"] == 2
    moved = client.bulk_jobs.submit(account.auth_id, "move", numbers, params={"subaccount": sub})
    _run_bulk_step(live)
    assert client.bulk_jobs.wait(account.auth_id, moved.id, timeout=30).progress["succeeded"] == 2
    assert client.phone_numbers.get_number(account.auth_id, numbers[0]).account_id == sub
    preview = client.bulk_jobs.preview(account.auth_id, "unassign_subaccount", numbers)
    assert preview.succeed == 2 and not preview.confirmation_required
    back = client.bulk_jobs.submit(account.auth_id, "unassign_subaccount", numbers)
    assert back.action == "unassign_subaccount" and back.params == {}
    _run_bulk_step(live)
    done = client.bulk_jobs.wait(account.auth_id, back.id, timeout=30)
    assert done.status == "completed" and done.progress["succeeded"] == 2
    for n in numbers:
        assert client.phone_numbers.get_number(account.auth_id, n).account_id == account.auth_id


def test_the_operator_lists_and_reads_every_accounts_jobs(
    live: LiveServer, client: Client, account: Account, flavour: Flavour
) -> None:
    other = live.create_account(balance=10000)
    mine = client.bulk_jobs.submit(account.auth_id, "purchase", live.stock(2))
    theirs = flavour.client(other.auth_id, other.auth_token, base_url=live.url)
    their_job = theirs.bulk_jobs.submit(other.auth_id, "purchase", live.stock(1))
    operator = flavour.client(auth_token="test-operator-token", base_url=live.url)
    first = operator.bulk_jobs.list_all(per_page=1).first_page()
    assert first.per_page == 1 and first.total >= 2 and len(first.items) == 1
    pager = operator.bulk_jobs.list_all(account=account.auth_id, per_page=1)
    assert [j.id for j in pager] == [mine.id]
    listed = operator.bulk_jobs.list_all(other.auth_id, "pending")
    assert [j.id for j in listed] == [their_job.id]
    _run_bulk_step(live)
    assert list(operator.bulk_jobs.list_all(other.auth_id, "pending")) == []
    done = operator.bulk_jobs.wait(None, their_job.id, interval=0.05, timeout=30)
    assert done.account_id == other.auth_id and done.progress["succeeded"] == 1
    assert operator.bulk_jobs.get(None, mine.id).results[0].status == "succeeded"
    with pytest.raises(APIError) as refused:  # an account's credentials are not enough
        client.bulk_jobs.get(None, mine.id)
    assert refused.value.status == 403
