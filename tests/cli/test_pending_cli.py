"""CLI commands for endpoints that land from other branches; each skips only while its
route answers 404 ``no route`` (see tests/sdk/test_pending_endpoints.py)."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli
from tests.live_server import LiveServer


def require(live: LiveServer, method: str, path: str) -> None:
    if not live.route_exists(method, path):
        pytest.skip(f"{method} {path} has not landed on this server yet")


def test_trunk_commands_and_number_assignment(live: LiveServer, cli: Cli) -> None:
    aid = cli.account.auth_id
    require(live, "GET", f"/api/v1/Account/{aid}/trunks")
    created = cli("trunks", "create", "--name", "edge", "--json")
    assert created.code == 0, created.stderr
    trunk_id = created.json()["trunk_id"]
    assert trunk_id in [t["trunk_id"] for t in cli("trunks", "list", "--json").json()]
    number = live.stock(1)[0]
    assert cli("numbers", "buy", number, "--yes").code == 0
    assert cli("numbers", "assign", number, "--trunk", trunk_id).code == 0
    assert cli("numbers", "show", number, "--json").json()["trunk_group_id"] == trunk_id
    assert cli("numbers", "unassign", number, "--trunk").code == 0
    assert cli("trunks", "delete", trunk_id).code == 2  # needs --yes
    assert cli("trunks", "delete", trunk_id, "--yes").code == 0


def test_application_commands(live: LiveServer, cli: Cli) -> None:
    aid = cli.account.auth_id
    require(live, "GET", f"/api/v1/Account/{aid}/Application/")
    created = cli(
        "applications", "create", "--name", "ivr", "--answer-url", "https://example.com/a", "--json"
    )
    assert created.code == 0, created.stderr
    app_id = created.json()["app_id"]
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    assert cli("numbers", "assign", number, "--application", app_id).code == 0
    assert cli("numbers", "unassign", number, "--application").code == 0
    assert cli("applications", "delete", app_id, "--yes").code == 0


def test_move_and_health(live: LiveServer, cli: Cli) -> None:
    aid = cli.account.auth_id
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    require(live, "POST", f"/api/v1/account/{aid}/numbers/%2B{number[1:]}/assign-subaccount")
    from didstore.client import Client

    with Client(aid, cli.account.auth_token, base_url=live.url) as client:
        created = client.sub_accounts.create(aid, "branch")
    assert created.auth_credentials is not None
    sub = created.auth_credentials.auth_id
    assert cli("numbers", "move", number, "--to", sub).code == 0
    assert cli("numbers", "show", number, "--json").json()["account_id"] == sub
    assert cli("numbers", "move", number, "--to", "parent").code == 0
    require(live, "GET", f"/api/v1/account/{aid}/numbers/%2B{number[1:]}/health")
    assert cli("numbers", "health", number, "--json").code == 0
