"""Partner calls through the SDK against a real server, in both flavours."""

from __future__ import annotations

import pytest

from didstore.client import Client, NotFoundError
from tests.live_server import Account, LiveServer, partner_with_customer
from tests.sdk.flavours import Flavour


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
