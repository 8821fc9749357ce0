"""The bulk jobs' HTTP contract (api/routes/bulk_jobs.py): 202 and the job, 200 and the
preview for a dry run, progress and results once the runner has run, cancel, and every
refusal with its status and code. Both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    make_account,
    make_sub_account,
    stock,
)
from tests.support import TestServices


def _jobs(acct: AccountHandle, path: str = "") -> str:
    return f"/api/v1/Account/{acct.auth_id}/jobs{path}"


def _post(client: TestClient, acct: AccountHandle, body: Any, path: str = "") -> Any:
    return client.post(_jobs(acct, path), json=body, headers=acct.headers)


def test_submit_then_progress_and_results_after_the_runner(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=10_000)
    wanted = IN_NUMBERS[:3]
    stock(state, wanted[:2])
    r = _post(client, acct, {"action": "purchase", "numbers": wanted})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "pending" and job["action"] == "purchase"
    assert job["account_id"] == acct.auth_id
    assert job["progress"] == {
        "total": 3,
        "done": 0,
        "succeeded": 0,
        "failed": 0,
        "cancelled": 0,
        "pending": 3,
    }
    assert "results" not in job
    shown = client.get(_jobs(acct, f"/{job['id']}"), headers=acct.headers).json()
    assert [x["status"] for x in shown["results"]] == ["pending"] * 3
    state.jobs.run("bulk")
    done = client.get(_jobs(acct, f"/{job['id']}"), headers=acct.headers).json()
    assert done["status"] == "completed" and done["finished_at"] is not None
    assert done["progress"]["succeeded"] == 2 and done["progress"]["failed"] == 1
    assert done["results"] == [
        {"e164": wanted[0], "status": "succeeded"},
        {"e164": wanted[1], "status": "succeeded"},
        {
            "e164": wanted[2],
            "status": "failed",
            "error": "not_found",
            "message": "number not found in inventory",
        },
    ]
    listed = client.get(_jobs(acct), headers=acct.headers).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]] and "results" not in listed[0]
    owned = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=acct.headers).json()
    assert sorted(n["e164"] for n in owned["items"]) == wanted[:2]


def test_dry_run_answers_200_with_the_cost_and_stores_nothing(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2], setup_fee=100, monthly_fee=300)
    r = _post(client, acct, {"action": "purchase", "numbers": IN_NUMBERS[:2], "dry_run": True})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["dry_run"] is True and preview["count"] == 2 and preview["succeed"] == 2
    assert preview["total_cost_minor"] == 2 * 40_000 and preview["currency"] == "INR"
    assert preview["costs"] == [{"currency": "INR", "amount_minor": 80_000, "amount": 800}]
    assert preview["confirmation_required"] is False and preview["confirm_token"] is None
    assert [i["outcome"] for i in preview["items"]] == ["succeed", "succeed"]
    assert client.get(_jobs(acct), headers=acct.headers).json() == {"jobs": []}


def test_a_large_release_needs_the_token_of_its_dry_run(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=100_000)
    owned = IN_NUMBERS[:11]
    stock(state, owned)
    account = state.accounts.get(acct.auth_id)
    for e in owned:
        state.numbers.purchase(CLI, account, from_body(e))
    body = {"action": "release", "numbers": owned}
    r = _post(client, acct, body)
    assert r.status_code == 428 and r.json()["error"] == "confirmation_required", r.text
    preview = _post(client, acct, {**body, "dry_run": True}).json()
    token = preview["confirm_token"]
    assert preview["confirmation_required"] is True and token
    assert preview["confirm_expires_at"].endswith("Z")
    r = _post(client, acct, {**body, "numbers": [*owned[:-1], IN_NUMBERS[20]], "confirm": token})
    assert r.status_code == 422 and r.json()["error"] == "confirmation_invalid", r.text
    r = _post(client, acct, {**body, "confirm": token[:-2] + "xx"})
    assert r.status_code == 422 and r.json()["error"] == "confirmation_invalid"
    r = _post(client, acct, {**body, "confirm": token})
    assert r.status_code == 202, r.text


def test_refusals(state: TestServices, client: TestClient) -> None:
    acct = make_account(state, balance=10_000)
    other = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2])
    cases: list[tuple[Any, int, str]] = [
        ({"action": "sell", "numbers": IN_NUMBERS[:1]}, 400, "invalid_request"),
        ({"action": "purchase"}, 400, "invalid_request"),
        ({"action": "purchase", "numbers": "+918041000000"}, 400, "invalid_request"),
        ({"action": "purchase", "numbers": [12]}, 400, "invalid_request"),
        ({"action": "purchase", "search": {"limit": 0}}, 400, "invalid_request"),
        ({"action": "move", "numbers": IN_NUMBERS[:1]}, 400, "invalid_request"),
        ({"action": "purchase", "search": {"limit": 5000}}, 400, "bulk_job_too_large"),
        ({"action": "purchase", "numbers": IN_NUMBERS[:1] * 1001}, 400, "bulk_job_too_large"),
    ]
    for body, status, code in cases:
        r = _post(client, acct, body)
        assert (r.status_code, r.json().get("error")) == (status, code), (body, r.text)
    assert _post(client, acct, [1, 2]).status_code == 400  # not an object
    nulls = {"action": "purchase", "numbers": IN_NUMBERS[:1], "dry_run": None, "params": None}
    assert _post(client, acct, {**nulls, "search": None, "confirm": None}).status_code == 202
    # another account's path, and another account's job
    r = client.post(_jobs(other), json={"action": "purchase"}, headers=acct.headers)
    assert r.status_code == 403
    job = _post(client, acct, {"action": "purchase", "numbers": IN_NUMBERS[:2]}).json()
    assert client.get(_jobs(other, f"/{job['id']}"), headers=other.headers).status_code == 404
    assert client.get(_jobs(acct, "/nope"), headers=acct.headers).status_code == 404
    r = client.post(_jobs(other, f"/{job['id']}/cancel"), headers=other.headers)
    assert r.status_code == 404
    assert client.get(_jobs(acct), params={"limit": 0}, headers=acct.headers).status_code == 400
    # cancel: 200 with the job, then a final 409 (no Retry-After)
    r = client.post(_jobs(acct, f"/{job['id']}/cancel"), headers=acct.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["progress"]["cancelled"] == 2
    r = client.post(_jobs(acct, f"/{job['id']}/cancel"), headers=acct.headers)
    assert r.status_code == 409 and r.json()["error"] == "bulk_job_finished"
    assert "Retry-After" not in r.headers


def test_a_retried_submit_with_the_same_idempotency_key_makes_one_job(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2])
    headers = {**acct.headers, "Idempotency-Key": "bulk-once-1"}
    body = {"action": "purchase", "numbers": IN_NUMBERS[:2]}
    first = client.post(_jobs(acct), json=body, headers=headers)
    again = client.post(_jobs(acct), json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get(_jobs(acct), headers=acct.headers).json()["jobs"]) == 1


def test_a_bad_search_limit_is_named_as_such(state: TestServices, client: TestClient) -> None:
    """A probe found ``search.limit`` of 0, -1, "5" or 2.5 refused as if it were missing
    ("search.limit (how many numbers) is required"): the message now says what is wrong."""
    acct = make_account(state, balance=10_000)
    r = _post(client, acct, {"action": "purchase", "search": {}})
    assert r.status_code == 400 and "required" in r.json()["message"]
    for limit in (0, -1, "5", 2.5, True):
        r = _post(client, acct, {"action": "purchase", "search": {"limit": limit}})
        assert r.status_code == 400, (limit, r.text)
        assert r.json()["message"] == "search.limit must be a whole number, at least 1", limit
    r = _post(client, acct, {"action": "purchase", "search": {"limit": 3, "search": "99999"}})
    assert (r.status_code, r.json()["message"]) == (400, "the search matched no numbers")


def test_a_purchase_currency_that_is_no_currency_is_refused_at_submit(
    state: TestServices, client: TestClient
) -> None:
    """A probe found ``params.currency`` 5 (a number) or "rupees" accepted: the job was
    stored and every number then failed. It is now a 400 naming the currency, nothing stored."""
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    for bad_currency in (5, "rupees", ["INR"], {"code": "INR"}):
        params = {"currency": bad_currency}
        r = _post(client, acct, {"action": "purchase", "numbers": IN_NUMBERS[:1], "params": params})
        assert r.status_code == 400, (bad_currency, r.text)
        assert "currency" in r.json()["message"]
    assert client.get(_jobs(acct), headers=acct.headers).json()["jobs"] == []
    ok = {"action": "purchase", "numbers": IN_NUMBERS[:1], "params": {"currency": "inr"}}
    r = _post(client, acct, {**ok, "dry_run": True})
    assert r.status_code == 200 and r.json()["params"] == {"currency": "INR"}


def test_unassign_subaccount_moves_numbers_back_to_the_main_account(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=100_000)
    sub = make_sub_account(state, acct)
    owned = IN_NUMBERS[:12]
    stock(state, owned)
    account = state.accounts.get(acct.auth_id)
    for e in owned:
        state.numbers.purchase(CLI, account, from_body(e))
    for e in owned[:11]:  # owned[11] stays with the main account
        state.moves.assign(CLI, account, from_body(e), sub.auth_id)
    body = {"action": "unassign_subaccount", "numbers": owned}
    r = _post(client, acct, body)  # 12 numbers: over the threshold, as a move would be
    assert r.status_code == 428 and r.json()["error"] == "confirmation_required", r.text
    preview = _post(client, acct, {**body, "dry_run": True}).json()
    assert (preview["succeed"], preview["fail"]) == (11, 1)
    assert preview["items"][11]["error"] == "not_found"
    r = _post(client, acct, {**body, "confirm": preview["confirm_token"]})
    assert r.status_code == 202 and r.json()["action"] == "unassign_subaccount", r.text
    state.jobs.run("bulk")
    done = client.get(_jobs(acct, f"/{r.json()['id']}"), headers=acct.headers).json()
    assert done["progress"]["succeeded"] == 11 and done["progress"]["failed"] == 1
    assert done["results"][11] == {
        "e164": owned[11],
        "status": "failed",
        "error": "not_found",
        "message": "number is not assigned to a sub-account",
    }
    listed = client.get(f"/api/v1/Account/{sub.auth_id}/numbers", headers=sub.headers).json()
    assert listed["items"] == []  # every number is back with the main account
    # a sub-account cannot move numbers out of itself
    r = _post(client, sub, {"action": "unassign_subaccount", "numbers": owned[:1]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_the_operator_sees_every_accounts_jobs(state: TestServices, client: TestClient) -> None:
    one = make_account(state, balance=10_000)
    two = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    a = _post(client, one, {"action": "purchase", "numbers": IN_NUMBERS[:2]}).json()
    b = _post(client, two, {"action": "purchase", "numbers": IN_NUMBERS[2:3]}).json()
    c = _post(client, two, {"action": "purchase", "numbers": IN_NUMBERS[:1]}).json()
    client.post(_jobs(two, f"/{c['id']}/cancel"), headers=two.headers)
    state.jobs.run("bulk")
    url = "/api/v1/admin/bulk-jobs"
    r = client.get(url, headers=admin_headers())
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["meta"] == {"page": 1, "per_page": 20, "total": 3}
    assert {j["id"] for j in page["objects"]} == {a["id"], b["id"], c["id"]}
    assert all("results" not in j for j in page["objects"])
    mine = client.get(url, params={"account": two.auth_id}, headers=admin_headers()).json()
    assert {j["id"] for j in mine["objects"]} == {b["id"], c["id"]}
    assert {j["account_id"] for j in mine["objects"]} == {two.auth_id}
    done = client.get(
        url, params={"account": two.auth_id, "status": "completed"}, headers=admin_headers()
    ).json()
    assert [j["id"] for j in done["objects"]] == [b["id"]] and done["meta"]["total"] == 1
    paged = client.get(url, params={"per_page": 2, "page": 2}, headers=admin_headers()).json()
    assert paged["meta"] == {"page": 2, "per_page": 2, "total": 3} and len(paged["objects"]) == 1
    one_job = client.get(f"{url}/{a['id']}", headers=admin_headers())
    assert one_job.status_code == 200
    assert one_job.json()["account_id"] == one.auth_id
    assert [x["status"] for x in one_job.json()["results"]] == ["succeeded", "succeeded"]
    # refusals: bad filters, no such job, and an account's credentials
    r = client.get(url, params={"status": "done"}, headers=admin_headers())
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert client.get(url, params={"page": 0}, headers=admin_headers()).status_code == 400
    assert client.get(f"{url}/nope", headers=admin_headers()).status_code == 404
    assert client.get(url, headers=one.headers).status_code == 403
    assert client.get(f"{url}/{a['id']}", headers=one.headers).status_code == 403
    assert client.get(url).status_code == 401
    # the background jobs' route is another one
    ran = client.post("/api/v1/admin/jobs/bulk/run", headers=admin_headers())
    assert ran.status_code == 200 and "bulk_items" in ran.json()
