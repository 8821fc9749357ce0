"""``--csv`` on the list commands (ADR 0024): the file equals the API's CSV answer."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from didstore.wire.csv import AUDIT_COLUMNS, INVENTORY_COLUMNS, OWNED_NUMBER_COLUMNS
from tests.cli.conftest import Cli
from tests.live_server import LiveServer


def _api_csv(cli: Cli, path: str, **params: str) -> str:
    headers = {
        "X-Auth-ID": cli.account.auth_id,
        "X-Auth-Token": cli.account.auth_token,
        "Accept": "text/csv",
    }
    with cli.live.admin() as admin:
        r = admin.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.text


def _admin_csv(live: LiveServer, path: str, **params: str) -> str:
    with live.admin() as admin:
        r = admin.get(path, params=params, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    return r.text


def test_numbers_list_csv_to_stdout_and_file(live: LiveServer, cli: Cli, tmp_path: Path) -> None:
    numbers = live.stock(3)
    assert cli("numbers", "buy", *numbers[:2], "--yes").code == 0
    r = cli("numbers", "list", "--csv", "--limit", "1", real=True)
    assert r.code == 0, r.stderr
    expected = _api_csv(cli, f"/api/v1/Account/{cli.account.auth_id}/numbers")
    assert r.stdout.replace("\r\n", "\n") == expected.replace("\r\n", "\n")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["e164"] for row in rows] == sorted(numbers[:2])
    assert r.stdout.split("\n")[0].strip() == ",".join(OWNED_NUMBER_COLUMNS)

    target = tmp_path / "numbers.csv"
    r = cli("numbers", "list", "--csv", "--search", numbers[1], "-o", str(target))
    assert r.code == 0 and r.stdout == ""
    assert [row["e164"] for row in csv.DictReader(io.StringIO(target.read_text()))] == [numbers[1]]


def test_transactions_csv_with_filters(live: LiveServer, cli: Cli, tmp_path: Path) -> None:
    assert cli("numbers", "buy", live.stock(1)[0], "--yes").code == 0
    target = tmp_path / "ledger.csv"
    r = cli("transactions", "--csv", "--type", "debit", "-o", str(target), real=True)
    assert r.code == 0, r.stderr
    expected = _api_csv(cli, f"/api/v1/Account/{cli.account.auth_id}/transactions", type="debit")
    assert target.read_bytes() == expected.encode()
    assert len(list(csv.DictReader(io.StringIO(expected)))) == 1


def test_operator_inventory_and_audit_csv(live: LiveServer, cli: Cli, tmp_path: Path) -> None:
    number = live.stock(1)[0]
    assert cli("numbers", "buy", number, "--yes").code == 0
    db = ("--database-url", live.database_url)
    target = tmp_path / "inventory.csv"
    r = cli("inventory", "list", "--csv", "--state", "active", "-o", str(target), *db, real=True)
    assert r.code == 0, r.stderr
    assert (
        target.read_bytes() == _admin_csv(live, "/api/v1/admin/inventory", state="active").encode()
    )
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert number in [row["e164"] for row in rows]
    assert list(rows[0]) == list(INVENTORY_COLUMNS)

    r = cli("audit", "list", "--csv", "--number", number, *db, real=True)
    assert r.code == 0, r.stderr
    expected = _admin_csv(live, "/api/v1/admin/audit", e164=number)
    assert r.stdout.replace("\r\n", "\n") == expected.replace("\r\n", "\n")
    rows = list(csv.DictReader(io.StringIO(expected)))
    assert rows and {row["e164"] for row in rows} == {number}
    assert list(rows[0]) == list(AUDIT_COLUMNS)

    listed = cli("audit", "list", "--number", number, "--json", *db)
    assert [str(o["id"]) for o in listed.json()] == [row["id"] for row in rows]
    shown = cli("inventory", "list", "--state", "active", "--json", *db)
    assert number in [n["e164"] for n in shown.json()]
    assert cli("inventory", "list", "--state", "sold", *db).code == 1
