"""``didstore subaccounts …``, ``didstore partner …`` and a multi-currency ``balance``
through the CLI against a real server."""

from __future__ import annotations

import httpx

from tests.cli.conftest import Cli
from tests.conftest import ADMIN_TOKEN
from tests.live_server import Account, LiveServer, partner_with_customer


def test_subaccount_commands(live: LiveServer, cli: Cli) -> None:
    created = cli("subaccounts", "create", "--name", "branch", "--email", "b@x.example")
    assert created.code == 0, created.stderr
    sub, token = created.stdout.split()
    assert sub.startswith("SA_") and token and "shown only now" in created.stderr
    assert [s["auth_id"] for s in cli("subaccounts", "list", "--json").json()] == [sub]
    updated = cli("subaccounts", "update", sub, "--name", "renamed", "--disabled", "--json")
    assert updated.code == 0 and updated.json()["enabled"] is False
    shown = cli("subaccounts", "show", sub, "--json").json()
    assert (shown["name"], shown["email"], shown["enabled"]) == ("renamed", "b@x.example", False)
    cli("subaccounts", "update", sub, "--enabled")
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    cli("numbers", "move", number, "--to", sub)
    busy = cli("subaccounts", "delete", sub, "--dry-run", "--json")
    assert busy.code == 1 and busy.json()["numbers"] == [number]
    assert cli("subaccounts", "delete", sub, "--yes").code == 1  # the server refuses too
    cli("numbers", "move", number, "--to", "parent")
    assert cli("subaccounts", "delete", sub).code == 2  # needs --yes
    assert cli("subaccounts", "delete", sub, "--dry-run").code == 0
    assert cli("subaccounts", "delete", sub, "--yes").code == 0
    assert cli("subaccounts", "show", sub, "--json").json()["error"]["status"] == 404


def test_partner_read_only_commands(live: LiveServer, cli: Cli) -> None:
    partner, customer = partner_with_customer(live)
    number = live.stock(1)[0]
    as_customer = Cli(live, customer)
    assert as_customer("numbers", "buy", number, "--yes").code == 0
    as_partner = Cli(live, partner)
    customers = as_partner("partner", "customers", "--json")
    assert customers.code == 0, customers.stderr
    assert [c["auth_id"] for c in customers.json()] == [customer.auth_id]
    everything = as_partner("partner", "numbers", "--json").json()
    assert [n["e164"] for n in everything] == [number]
    theirs = as_partner("partner", "numbers", "--customer", customer.auth_id, "--json")
    assert [n["e164"] for n in theirs.json()] == [number]
    routing = as_partner("partner", "reports", "routing")
    assert routing.code == 0 and number in routing.stdout
    costs = as_partner("partner", "reports", "costs", "--json").json()
    assert [c["account_id"] for c in costs["customers"]] == [customer.auth_id]
    renewals = as_partner("partner", "reports", "renewals", "--within-days", "30", "--json")
    assert renewals.json()["within_days"] == 30
    assert as_partner("partner", "reports", "kyc", "--json").json()["total"] == 0
    assert as_partner("partner", "reports", "nonsense").code == 2
    denied = cli("partner", "customers", "--json")  # a main account's credentials
    assert denied.code == 1 and denied.json()["error"]["status"] == 403


def _credit(live: LiveServer, account: Account, amount: int, currency: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=live.url, headers=headers) as http:
        r = http.post(
            f"/api/v1/admin/accounts/{account.auth_id}/credit",
            json={"amount": amount, "currency": currency},
        )
        assert r.status_code == 201, r.text


def test_balance_shows_every_currency_the_account_uses(live: LiveServer, cli: Cli) -> None:
    _credit(live, cli.account, 500, "USD")
    named = cli("balance", "--currency", "INR", "--currency", "usd", "--json").json()
    assert [(w["currency"], w["balance"]) for w in named] == [("INR", 2000), ("USD", 500)]
    assert cli("balance", "--currency", "USD", "--json").json()["balance"] == 500
    us = live.stock(1, setup_fee=1, monthly_fee=2, currency="USD")[0]
    assert cli("numbers", "buy", us, "--yes").code == 0
    every = cli("balance", "--json").json()
    assert [(w["currency"], w["balance"]) for w in every] == [("INR", 2000), ("USD", 497)]
    plain = cli("balance").stdout.splitlines()
    assert [line.split("\t")[-1] for line in plain] == ["INR", "USD"]
    missing = cli("balance", "--currency", "EUR", "--json")
    assert missing.code == 1 and missing.json()["error"]["status"] == 404


def test_operator_sees_every_balance_of_an_account(live: LiveServer, cli: Cli) -> None:
    env = {k: v for k, v in cli.env().items() if k != "DIDSTORE_AUTH_ID"}
    env.update(DIDSTORE_AUTH_TOKEN=ADMIN_TOKEN, DIDSTORE_ACCOUNT=cli.account.auth_id)
    bare = cli("balance", "--json", env=env)
    assert bare.code == 0 and [w["currency"] for w in bare.json()] == ["INR"]
    named = cli("balance", "--currency", "INR", "--json", env=env)
    assert named.code == 0 and named.json()["balance"] == 2000
