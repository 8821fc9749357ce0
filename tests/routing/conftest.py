"""Routing fixtures: a funded main account with a sub-account and bought numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    make_account,
    make_sub_account,
    stock,
)
from tests.support import TestServices


@dataclass
class World:
    client: TestClient
    state: TestServices
    main: AccountHandle
    sub: AccountHandle
    other: AccountHandle
    numbers: list[str]

    def url(self, who: AccountHandle | str, path: str) -> str:
        auth_id = who if isinstance(who, str) else who.auth_id
        return f"/api/v1/Account/{auth_id}{path}"

    def buy(self, who: AccountHandle, e164: str) -> dict[str, Any]:
        r = self.client.post(
            self.url(who, "/numbers/purchase-from-inventory"),
            json={"e164": e164},
            headers=who.headers,
        )
        assert r.status_code == 200, r.text
        return r.json()["number"]

    def trunk(self, who: AccountHandle, name: str = "main-trunk") -> str:
        r = self.client.post(self.url(who, "/trunks"), json={"name": name}, headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()["trunk_id"]

    def app(self, who: AccountHandle, name: str = "ivr", **extra: Any) -> str:
        body = {"app_name": name, "answer_url": "https://example.com/answer", **extra}
        body.setdefault("answer_method", "POST")
        r = self.client.post(self.url(who, "/Application/"), json=body, headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()["app_id"]

    def call(self, e164: str, **body: Any) -> Any:
        return self.client.post(
            f"/api/v1/admin/numbers/{e164}/calls", json=body, headers=admin_headers()
        )

    def route(self, e164: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/admin/routes/{e164}", headers=admin_headers())
        assert r.status_code == 200, r.text
        return r.json()

    def listed(self, who: AccountHandle) -> dict[str, dict[str, Any]]:
        r = self.client.get(self.url(who, "/numbers"), headers=who.headers)
        assert r.status_code == 200, r.text
        return {n["e164"]: n for n in r.json()["items"]}


@pytest.fixture
def world(client: TestClient, state: TestServices) -> World:
    main = make_account(state, balance=100_000)
    other = make_account(state, balance=100_000)
    sub = make_sub_account(state, main)
    numbers = IN_NUMBERS[:6]
    stock(state, numbers)
    return World(client, state, main, sub, other, numbers)
