"""The event feed over HTTP (api/routes/events.py): the account's events and the operator's,
paging with ``after``/``limit``, type filters, ownership and bad inputs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from tests.conftest import IN_NUMBERS, admin_headers, buy, make_account, stock
from tests.support import TestServices

pytestmark = pytest.mark.private_webhooks


def test_the_http_feed(client: TestClient, state: TestServices, clock: FixedClock) -> None:
    acct = make_account(state, balance=5000)
    other = make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:3])
    buy(state, acct, IN_NUMBERS[0])
    buy(state, other, IN_NUMBERS[1])
    buy(state, acct, IN_NUMBERS[2])
    url = f"/api/v1/Account/{acct.auth_id}/events"

    r = client.get(url, headers=acct.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["data"]["e164"] for e in body["events"]] == [IN_NUMBERS[0], IN_NUMBERS[2]]
    first = body["events"][0]
    assert set(first) == {"id", "type", "created_at", "account_id", "data"}
    assert first["type"] == "number.purchased" and first["account_id"] == acct.auth_id
    assert first["created_at"].endswith("Z")
    assert body["next_after"] == body["events"][-1]["id"]

    # paging with after/limit, and the end of the feed keeps the cursor
    one = client.get(url, params={"limit": 1}, headers=acct.headers).json()
    assert [e["id"] for e in one["events"]] == [first["id"]]
    rest = client.get(url, params={"after": one["next_after"]}, headers=acct.headers).json()
    assert [e["data"]["e164"] for e in rest["events"]] == [IN_NUMBERS[2]]
    end = client.get(url, params={"after": rest["next_after"]}, headers=acct.headers).json()
    assert end == {"events": [], "next_after": rest["next_after"]}

    # type filters: repeated or comma-separated
    none = client.get(url, params={"type": "number.released"}, headers=acct.headers).json()
    assert none["events"] == []
    both = client.get(
        url, params={"type": "number.released,number.purchased"}, headers=acct.headers
    ).json()
    assert len(both["events"]) == 2

    # another account's feed is not yours; the operator sees everything
    assert client.get(url, headers=other.headers).status_code == 403
    ops = client.get("/api/v1/admin/events", headers=admin_headers()).json()
    assert [e["data"]["e164"] for e in ops["events"]] == IN_NUMBERS[:3]
    assert client.get("/api/v1/admin/events", headers=acct.headers).status_code == 403
    assert client.get(url, headers=admin_headers()).json()["events"] == body["events"]

    # bad inputs are 400s
    for params in (
        {"after": "-1"},
        {"after": "x"},
        {"after": str(2**63)},
        {"limit": "0"},
        {"limit": "1001"},
        {"type": "number.nope"},
    ):
        r = client.get(url, params=params, headers=acct.headers)
        assert r.status_code == 400, (params, r.status_code, r.text)
