"""Partner calls through the SDK against a real server, in both flavours."""

from __future__ import annotations

import httpx
import pytest

from didstore.client import Client, NotFoundError
from tests.conftest import ADMIN_TOKEN
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour


def partner_with_customer(live: LiveServer) -> tuple[Account, Account]:
    """A partner with 1000 INR and one customer with 5000 INR (through the operator API)."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=live.url, headers=headers) as http:
        p = http.post("/api/v1/admin/partners", json={"name": "reseller", "currency": "INR"})
        assert p.status_code == 201, p.text
        partner = p.json()
        c = http.post(
            "/api/v1/admin/accounts",
            json={"name": "customer", "currency": "INR", "partner_id": partner["auth_id"]},
        )
        assert c.status_code == 201, c.text
        customer = c.json()
        for who, amount in ((customer["auth_id"], 5000), (partner["auth_id"], 1000)):
            r = http.post(
                f"/api/v1/admin/accounts/{who}/credit", json={"amount": amount, "currency": "INR"}
            )
            assert r.status_code == 201, r.text
    return (
        Account(partner["auth_id"], partner["auth_token"], "INR"),
        Account(customer["auth_id"], customer["auth_token"], "INR"),
    )


@pytest.fixture
def pair(live: LiveServer) -> tuple[Account, Account]:
    return partner_with_customer(live)


def test_partner_views_and_reports(
    live: LiveServer, flavour: Flavour, pair: tuple[Account, Account]
) -> None:
    partner, customer = pair
    number = live.stock(1)[0]
    with Client(customer.auth_id, customer.auth_token, base_url=live.url) as c:
        c.phone_numbers.purchase_from_inventory(customer.auth_id, number)
    p = flavour.client(partner.auth_id, partner.auth_token, base_url=live.url)
    assert p.partner.me().auth_id == partner.auth_id
    assert customer.auth_id in [a.auth_id for a in p.partner.customers.list()]
    assert [n.e164 for n in p.partner.numbers.list(customer.auth_id)] == [number]
    assert number in [n.e164 for n in p.partner.numbers.list(search=number)]
    routing = p.partner.reports.routing()
    assert [row["e164"] for row in routing.items] == [number]
    assert p.partner.reports.renewals(within_days=14).raw["accounts"] == []
    assert p.partner.reports.kyc().raw["total"] == 0
    costs = p.partner.reports.costs().raw["customers"]
    assert [c["account_id"] for c in costs] == [customer.auth_id]
    by_name = p.partner.reports.get_report("routing")
    assert by_name.to_dict() == routing.to_dict()
    with pytest.raises(NotFoundError):
        p.partner.numbers.list("MA_NOTMINE0").first_page()


def test_partner_creates_a_customer_and_funds_it(
    live: LiveServer, flavour: Flavour, pair: tuple[Account, Account]
) -> None:
    partner, _ = pair
    p = flavour.client(partner.auth_id, partner.auth_token, base_url=live.url)
    created = p.partner.customers.create(
        "New Co",
        "ops@new.example",
        phone="+919876543210",
        password="s3cret!pass",
        country="IN",
    )
    new_id = created["auth_id"]
    assert new_id.startswith("MA_") and created["auth_token"]
    assert new_id in [a.auth_id for a in p.partner.customers.list(search="New Co")]
    moved = p.partner.customers.transfer_balance(new_id, 250, "INR", description="welcome")
    assert (moved.to_account, moved.amount, moved.status) == (new_id, 250, "completed")
    ledger = list(p.partner.customers.list_transactions(new_id))
    assert [t.amount for t in ledger] == [250]
    with Client(new_id, created["auth_token"], base_url=live.url) as customer:
        assert customer.balance.get_balance(new_id, "INR").balance == 250
