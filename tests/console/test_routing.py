"""Routing in the console: create a trunk and an application, point a number at each, detach
it; the route lookup (what the SIP router asks) follows; another account's trunk is refused."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, admin_headers, buy_over_http, make_account, stock
from tests.console.pages import csrf, marked, sign_in
from tests.support import TestServices


def _route(client: TestClient, e164: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/admin/routes/{e164}", headers=admin_headers())
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def test_trunk_and_application_routing(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1])
    number = IN_NUMBERS[0]
    buy_over_http(client, acct, number)
    sign_in(client, acct.auth_id, acct.token)
    page = client.get("/console/trunks")
    r = client.post(
        "/console/trunks",
        data={
            "csrf": csrf(page),
            "name": "Office PBX",
            "inbound_destination": "sip:pbx.example.com",
        },
    )
    assert r.status_code == 200 and "Trunk Office PBX created." in r.text
    [trunk_id] = marked(r, "trunk-row", "data-trunk-id")
    r = client.post(
        "/console/applications",
        data={"csrf": csrf(r), "app_name": "IVR", "answer_url": "https://93.184.216.34/answer"},
    )
    assert r.status_code == 200 and "Application IVR created." in r.text, r.text
    [app_id] = marked(r, "app-row", "data-app-id")

    detail = client.get(f"/console/numbers/{number}")
    assert re.search(rf'<option value="{trunk_id}"', detail.text)
    r = client.post(
        f"/console/numbers/{number}/trunk", data={"csrf": csrf(detail), "trunk_id": trunk_id}
    )
    assert "now go to the trunk" in r.text
    assert _route(client, number)["trunk_group_id"] == trunk_id
    r = client.post(f"/console/numbers/{number}/trunk", data={"csrf": csrf(r), "action": "remove"})
    assert "no longer assigned" in r.text
    r = client.post(
        f"/console/numbers/{number}/application",
        data={"csrf": csrf(r), "application_id": app_id},
    )
    assert "attached to the application" in r.text
    assert f"app {app_id}" in client.get("/console/numbers").text
    assert _route(client, number)["application_id"] == app_id
    r = client.post(
        f"/console/numbers/{number}/application", data={"csrf": csrf(r), "action": "remove"}
    )
    assert "no longer attached" in r.text
    assert marked(client.get("/console/home"), "unrouted", "data-e164") == [number]


def test_routing_refuses_bad_input_forgery_and_other_accounts(
    client: TestClient, state: TestServices
) -> None:
    owner = make_account(state, balance=1000)
    other = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2])
    buy_over_http(client, owner, IN_NUMBERS[0])
    buy_over_http(client, other, IN_NUMBERS[1])
    sign_in(client, other.auth_id, other.token)
    page = client.get("/console/trunks")
    r = client.post("/console/trunks", data={"csrf": csrf(page), "name": "Theirs"})
    [their_trunk] = marked(r, "trunk-row", "data-trunk-id")
    client.cookies.clear()
    sign_in(client, owner.auth_id, owner.token)
    page = client.get(f"/console/numbers/{IN_NUMBERS[0]}")
    token = csrf(page)
    url = f"/console/numbers/{IN_NUMBERS[0]}/trunk"
    assert client.post(url, data={"trunk_id": their_trunk}).status_code == 403
    assert client.post(url, data={"csrf": token, "trunk_id": their_trunk}).status_code == 404
    assert client.post(url, data={"csrf": token, "trunk_id": "nope"}).status_code == 404
    assert client.post(url, data={"csrf": token}).status_code == 400
    r = client.post(
        f"/console/numbers/{IN_NUMBERS[1]}/trunk", data={"csrf": token, "trunk_id": their_trunk}
    )
    assert r.status_code == 404
    assert client.post("/console/trunks", data={"csrf": token, "name": ""}).status_code == 400
    r = client.post(
        "/console/applications",
        data={"csrf": token, "app_name": "x", "answer_url": "http://127.0.0.1/answer"},
    )
    assert r.status_code == 400
    assert (
        "trunk" not in _route(client, IN_NUMBERS[0]) or not _route(client, IN_NUMBERS[0])["trunk"]
    )
