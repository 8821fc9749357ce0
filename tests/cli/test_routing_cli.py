"""``didstore trunks|applications …`` and ``numbers assign|unassign|move|health`` through
the CLI against a real server; ``delete --dry-run`` says what it would do and whether the
trunk or application is in use."""

from __future__ import annotations

from tests.cli.conftest import Cli
from tests.live_server import LiveServer


def test_trunk_commands_and_number_assignment(live: LiveServer, cli: Cli) -> None:
    created = cli("trunks", "create", "--name", "edge", "--json")
    assert created.code == 0, created.stderr
    trunk_id = created.json()["trunk_id"]
    assert trunk_id in [t["trunk_id"] for t in cli("trunks", "list", "--json").json()]
    assert cli("trunks", "show", trunk_id, "--json").json()["name"] == "edge"
    renamed = cli("trunks", "update", trunk_id, "--name", "edge2", "--json")
    assert renamed.code == 0 and renamed.json()["name"] == "edge2"
    number = live.stock(1)[0]
    assert cli("numbers", "buy", number, "--yes").code == 0
    assert cli("numbers", "assign", number, "--trunk", trunk_id).code == 0
    assert cli("numbers", "show", number, "--json").json()["trunk_group_id"] == trunk_id
    assert cli("numbers", "unassign", number, "--trunk").code == 0
    assert cli("trunks", "delete", trunk_id).code == 2  # needs --yes
    assert cli("trunks", "delete", trunk_id, "--yes").code == 0
    assert cli("trunks", "show", trunk_id, "--json").json()["error"]["status"] == 404


def test_trunk_delete_dry_run_says_what_and_whether_in_use(live: LiveServer, cli: Cli) -> None:
    trunk_id = cli("trunks", "create", "--name", "busy", "--json").json()["trunk_id"]
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    cli("numbers", "assign", number, "--trunk", trunk_id)
    busy = cli("trunks", "delete", trunk_id, "--dry-run", "--json")
    assert busy.code == 1  # the real delete would be refused
    data = busy.json()
    assert (data["dry_run"], data["in_use"], data["numbers"]) == (True, True, [number])
    assert data["would"].startswith(f"refuse: trunk {trunk_id} is in use by 1 number(s)")
    assert data["would_delete"]["trunk_id"] == trunk_id
    plain = cli("trunks", "delete", trunk_id, "--dry-run")
    assert f"in use by\t{number}" in plain.stdout and "nothing changed" in plain.stderr
    cli("numbers", "unassign", number, "--trunk")
    free = cli("trunks", "delete", trunk_id, "--dry-run", "--json")
    assert free.code == 0, free.stdout
    assert (free.json()["in_use"], free.json()["would"]) == (False, f"delete trunk {trunk_id}")
    assert cli("trunks", "show", trunk_id).code == 0  # the dry run deleted nothing


def test_application_commands(live: LiveServer, cli: Cli) -> None:
    created = cli(
        "applications", "create", "--name", "ivr", "--answer-url", "https://example.com/a", "--json"
    )
    assert created.code == 0, created.stderr
    app_id = created.json()["app_id"]
    assert app_id in [a["app_id"] for a in cli("applications", "list", "--json").json()]
    assert cli("applications", "update", app_id, "--name", "ivr2").code == 0
    assert cli("applications", "show", app_id, "--json").json()["app_name"] == "ivr2"
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    assert cli("numbers", "assign", number, "--application", app_id).code == 0
    busy = cli("applications", "delete", app_id, "--dry-run", "--json")
    assert busy.code == 1 and busy.json()["numbers"] == [number]
    assert cli("numbers", "unassign", number, "--application").code == 0
    assert cli("applications", "delete", app_id, "--dry-run", "--json").json()["in_use"] is False
    assert cli("applications", "delete", app_id, "--yes").code == 0


def test_move_and_health(live: LiveServer, cli: Cli) -> None:
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    created = cli("subaccounts", "create", "--name", "branch", "--json")
    assert created.code == 0, created.stderr
    sub = created.json()["auth_credentials"]["auth_id"]
    assert cli("numbers", "move", number, "--to", sub).code == 0
    assert cli("numbers", "show", number, "--json").json()["account_id"] == sub
    assert cli("numbers", "move", number, "--to", "parent").code == 0
    health = cli("numbers", "health", number, "--days", "7", "--json")
    assert health.code == 0, health.stderr
