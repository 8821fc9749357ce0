"""Sub-accounts in the console: a main account lists and creates them (token shown once) and
moves a number to one and back, each move confirmed; the cool-off refuses a pull-back after a
recent call; sub-accounts cannot open these pages."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from didstore.clock import FixedClock
from didstore.db.tables import numbers
from didstore.domain.e164 import E164, from_body
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    buy_over_http,
    make_account,
    make_sub_account,
    stock,
)
from tests.console.pages import csrf, marked, sign_in
from tests.support import TestServices


def test_create_a_sub_account_and_sign_in_with_it(client: TestClient, state: TestServices) -> None:
    parent = make_account(state)
    sign_in(client, parent.auth_id, parent.token)
    page = client.get("/console/subaccounts")
    assert 'href="/console/subaccounts"' in page.text  # in the navigation of a main account
    r = client.post("/console/subaccounts", data={"csrf": csrf(page), "name": "Support desk"})
    assert r.status_code == 201
    [auth_id] = marked(r, "created", "data-auth-id")
    token = re.search(r'data-testid="token">([^<]+)<', r.text)
    assert token is not None
    listed = client.get("/console/subaccounts")
    assert marked(listed, "subaccount-row", "data-auth-id") == [auth_id]
    assert (
        client.post("/console/subaccounts", data={"csrf": csrf(listed), "name": ""}).status_code
        == 400
    )
    client.cookies.clear()
    assert sign_in(client, auth_id, token.group(1)).headers["location"] == "/console/home"
    assert 'href="/console/subaccounts"' not in client.get("/console/home").text
    assert client.get("/console/subaccounts").status_code == 404


def test_move_to_a_sub_account_and_back_with_the_cool_off(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    parent = make_account(state, balance=100)
    sub = make_sub_account(state, parent)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=1)
    number = IN_NUMBERS[0]
    buy_over_http(client, parent, number)
    sign_in(client, parent.auth_id, parent.token)
    confirm = client.get(f"/console/numbers/{number}/move", params={"to": sub.auth_id})
    assert confirm.status_code == 200 and 'data-testid="confirm"' in confirm.text
    assert "15 days" in confirm.text
    assert (
        state.numbers.get_owned(state.accounts.get(parent.auth_id), _e164(number)).owner_auth_id
        == parent.auth_id
    )
    r = client.post(
        f"/console/numbers/{number}/move", data={"csrf": csrf(confirm), "to": sub.auth_id}
    )
    assert r.status_code == 200 and f"now belongs to {sub.auth_id}" in r.text
    subs_view = AccountHandle(sub.auth_id, sub.token)
    listed = client.get(f"/api/v1/Account/{sub.auth_id}/numbers", headers=subs_view.headers)
    assert [n["e164"] for n in listed.json()["items"]] == [number]
    # a call an hour ago: the number cannot come back for 15 days
    with state.db.write() as conn:
        conn.execute(
            update(numbers)
            .where(numbers.c.e164 == number)
            .values(last_call_at=clock.now() - timedelta(hours=1))
        )
    back = client.get(f"/console/numbers/{number}/move")
    r = client.post(f"/console/numbers/{number}/move", data={"csrf": csrf(back), "to": ""})
    assert r.status_code == 409 and "the cool-off ends at 2026-" in r.text
    clock.set(clock.now() + timedelta(days=16))
    r = client.post(f"/console/numbers/{number}/move", data={"csrf": csrf(back), "to": ""})
    assert r.status_code == 200 and "back in" in r.text


def test_moves_are_refused_for_strangers_and_forged_forms(
    client: TestClient, state: TestServices
) -> None:
    parent = make_account(state, balance=100)
    other = make_account(state)
    their_sub = make_sub_account(state, other)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=1)
    number = IN_NUMBERS[0]
    buy_over_http(client, parent, number)
    sign_in(client, parent.auth_id, parent.token)
    token = csrf(client.get("/console/home"))
    url = f"/console/numbers/{number}/move"
    assert client.post(url, data={"to": their_sub.auth_id}).status_code == 403
    assert client.post(url, data={"csrf": token, "to": their_sub.auth_id}).status_code == 404
    assert client.get(url, params={"to": their_sub.auth_id}).status_code == 404
    client.cookies.clear()
    sign_in(client, other.auth_id, other.token)
    assert client.get(url).status_code == 404


def _e164(value: str) -> E164:
    return from_body(value)
