"""Live tests for endpoints that land from other branches (trunks, applications, number
routing, sub-account moves, health, partner). Each test probes its route first and skips
only while the server answers 404 ``{"error":"not_found","message":"no route ..."}``, so
they turn on by themselves once the endpoint is merged."""

from __future__ import annotations

import httpx
import pytest

from didstore.client import Client, ConflictError, NotFoundError
from tests.conftest import ADMIN_TOKEN
from tests.live_server import Account, LiveServer


def require(live: LiveServer, method: str, path: str) -> None:
    if not live.route_exists(method, path):
        pytest.skip(f"{method} {path} has not landed on this server yet")


def test_trunk_crud_and_number_assignment(
    live: LiveServer, client: Client, account: Account
) -> None:
    require(live, "GET", f"/api/v1/Account/{account.auth_id}/trunks")
    trunk = client.trunks.create(account.auth_id, "edge", trunk_direction="inbound")
    assert trunk.trunk_id and trunk.name == "edge"
    assert [t.trunk_id for t in client.trunks.list(account.auth_id)] == [trunk.trunk_id]
    assert client.trunks.get(account.auth_id, trunk.trunk_id).trunk_id == trunk.trunk_id
    assert client.trunks.update(account.auth_id, trunk.trunk_id, name="edge2").name == "edge2"
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    require(live, "POST", f"/api/v1/Account/{account.auth_id}/numbers/%2B{number[1:]}/assign")
    client.phone_numbers.assign_number_to_trunk(account.auth_id, number[1:], trunk.trunk_id)
    assert client.phone_numbers.get_number(account.auth_id, number).trunk_group_id == (
        trunk.trunk_id
    )
    client.phone_numbers.unassign_number_from_trunk(account.auth_id, "%2B" + number[1:])
    assert client.phone_numbers.get_number(account.auth_id, number).trunk_group_id is None
    client.trunks.delete(account.auth_id, trunk.trunk_id)
    with pytest.raises(NotFoundError):
        client.trunks.get(account.auth_id, trunk.trunk_id)


def test_application_crud_and_attach(live: LiveServer, client: Client, account: Account) -> None:
    require(live, "GET", f"/api/v1/Account/{account.auth_id}/Application/")
    created = client.applications.create(account.auth_id, "ivr", "https://example.com/answer")
    assert created.app_id
    app_id = created.app_id or ""
    assert client.applications.get(account.auth_id, app_id).app_name == "ivr"
    assert app_id in [a.app_id for a in client.applications.list(account.auth_id)]
    client.applications.update(account.auth_id, app_id, app_name="ivr2", default_number_app=False)
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    attached = client.phone_numbers.attach_application(account.auth_id, number, app_id)
    assert attached.number == number
    with pytest.raises(ConflictError):
        client.applications.delete(account.auth_id, app_id)
    client.phone_numbers.detach_application(account.auth_id, number)
    client.applications.delete(account.auth_id, app_id)


def test_sub_account_move_and_back(live: LiveServer, client: Client, account: Account) -> None:
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    require(
        live,
        "POST",
        f"/api/v1/account/{account.auth_id}/numbers/%2B{number[1:]}/assign-subaccount",
    )
    created = client.sub_accounts.create(account.auth_id, "branch")
    assert created.auth_credentials is not None
    sub = created.auth_credentials.auth_id
    client.phone_numbers.assign_did_to_subaccount(account.auth_id, number, sub)
    assert client.phone_numbers.get_number(account.auth_id, number).account_id == sub
    client.phone_numbers.unassign_did_from_subaccount(account.auth_id, number)  # never used
    assert client.phone_numbers.get_number(account.auth_id, number).account_id == account.auth_id


def test_number_health(live: LiveServer, client: Client, account: Account) -> None:
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    require(live, "GET", f"/api/v1/account/{account.auth_id}/numbers/%2B{number[1:]}/health")
    health = client.phone_numbers.get_number_health(account.auth_id, number[1:], days=7)
    assert health.e164 in ("", number)


def _partner(live: LiveServer) -> tuple[Account, Account]:
    with httpx.Client(
        base_url=live.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as http:
        p = http.post("/api/v1/admin/partners", json={"name": "reseller", "currency": "INR"})
        assert p.status_code == 201, p.text
        partner = p.json()
        c = http.post(
            "/api/v1/admin/accounts",
            json={"name": "customer", "currency": "INR", "partner_id": partner["auth_id"]},
        )
        assert c.status_code == 201, c.text
        customer = c.json()
        http.post(
            f"/api/v1/admin/accounts/{customer['auth_id']}/credit",
            json={"amount": 5000, "currency": "INR"},
        )
    return (
        Account(partner["auth_id"], partner["auth_token"], "INR"),
        Account(customer["auth_id"], customer["auth_token"], "INR"),
    )


def test_partner_views_and_reports(live: LiveServer) -> None:
    require(live, "GET", "/api/v1/partner/numbers")
    partner, customer = _partner(live)
    number = live.stock(1)[0]
    with Client(customer.auth_id, customer.auth_token, base_url=live.url) as c:
        c.phone_numbers.purchase_from_inventory(customer.auth_id, number)
    with Client(partner.auth_id, partner.auth_token, base_url=live.url) as p:
        assert p.partner.me().auth_id == partner.auth_id
        assert customer.auth_id in [a.auth_id for a in p.partner.customers.list()]
        mine = [n.e164 for n in p.partner.numbers.list(customer.auth_id)]
        assert mine == [number]
        assert number in [n.e164 for n in p.partner.numbers.list(search=number)]
        require(live, "GET", "/api/v1/partner/reports/routing")
        routing = p.partner.reports.routing()
        assert number in str(routing.to_dict())
        assert p.partner.reports.renewals(within_days=14).raw["accounts"] == []
        assert p.partner.reports.kyc().raw["total"] == 0
        costs = p.partner.reports.costs().raw["customers"]
        assert [c["account_id"] for c in costs] == [customer.auth_id]
