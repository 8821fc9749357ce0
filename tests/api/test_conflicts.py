"""Only a retryable conflict carries ``Retry-After`` (code ``conflict_retry``); a final one
(in use, holds numbers, cool-off) does not, so no client retries what cannot succeed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, admin_headers, make_account, make_sub_account, stock
from tests.support import TestServices


def test_final_conflicts_carry_no_retry_after(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    sub = make_sub_account(state, acct)
    stock(state, IN_NUMBERS[:1])
    base = f"/api/v1/Account/{acct.auth_id}"
    trunk = client.post(f"{base}/trunks", json={"name": "t"}, headers=acct.headers).json()
    r = client.post(
        f"{base}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=acct.headers,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{base}/numbers/{IN_NUMBERS[0]}/assign",
        json={"trunk_group_id": trunk["trunk_id"]},
        headers=acct.headers,
    )
    assert r.status_code == 204, r.text
    in_use = client.delete(f"{base}/trunks/{trunk['trunk_id']}", headers=acct.headers)
    assert in_use.status_code == 409 and in_use.json()["error"] == "conflict"
    assert "retry-after" not in in_use.headers
    r = client.post(
        f"/api/v1/account/{acct.auth_id}/numbers/{IN_NUMBERS[0]}/assign-subaccount",
        json={"sub_account_id": sub.auth_id},
        headers=acct.headers,
    )
    assert r.status_code in (200, 204), r.text
    holds = client.delete(
        f"/api/v1/accounts/{acct.auth_id}/sub-accounts/{sub.auth_id}", headers=acct.headers
    )
    assert holds.status_code == 409 and "retry-after" not in holds.headers
    calls = client.post(
        f"/api/v1/admin/numbers/{IN_NUMBERS[0]}/calls", json={}, headers=admin_headers()
    )
    assert calls.status_code in (200, 201, 204), calls.text
    cool = client.delete(
        f"/api/v1/account/{acct.auth_id}/numbers/{IN_NUMBERS[0]}/assign-subaccount",
        headers=acct.headers,
    )
    assert cool.status_code == 409 and cool.json()["error"] == "did_cool_off_in_effect"
    assert "retry-after" not in cool.headers
