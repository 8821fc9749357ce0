"""``didstore numbers …``, ``balance`` and ``transactions`` through the real executable."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli
from tests.live_server import LiveServer


def balance(cli: Cli) -> float:
    return float(cli("balance", "--currency", "INR", "--json").json()["balance"])


def test_search_json_lists_stock_with_fees(live: LiveServer, cli: Cli) -> None:
    number = live.stock(1, setup_fee=10, monthly_fee=90)[0]
    r = cli("numbers", "search", "--search", number, "--json")
    assert r.code == 0, r.stderr
    assert [(n["e164"], n["setup_fee"], n["monthly_fee"]) for n in r.json()] == [(number, 10, 90)]


def test_buy_refuses_without_yes_and_charges_nothing(live: LiveServer, cli: Cli) -> None:
    number = live.stock(1)[0]
    r = cli("numbers", "buy", number)
    assert r.code == 2 and "--yes" in r.stderr and r.stdout == ""
    assert balance(cli) == 2000


def test_buy_dry_run_prints_setup_plus_monthly_and_changes_nothing(
    live: LiveServer, cli: Cli
) -> None:
    a, b = live.stock(2, setup_fee=100, monthly_fee=300)
    r = cli("numbers", "buy", a, "%2B" + b[1:], "--dry-run", "--json")
    assert r.code == 0, r.stderr
    data = r.json()
    assert data["dry_run"] is True and data["total"] == {"INR": 800}
    assert [n["cost"] for n in data["numbers"]] == [400, 400]
    assert balance(cli) == 2000
    missing = cli("numbers", "buy", "+918049999997", "--dry-run", "--json")
    assert missing.code == 1 and missing.json()["numbers"][0]["available"] is False


def test_buy_from_file_reports_each_number_and_keeps_going(
    live: LiveServer, cli: Cli, tmp_path: Path
) -> None:
    good = live.stock(2)
    file = tmp_path / "numbers.txt"
    file.write_text(f"e164\n# wanted\n{good[0]}\nnot-a-number\n+918049999996\n{good[1][1:]}\n")
    r = cli("numbers", "buy", "--from-file", str(file), "--yes", "--json")
    assert r.code == 1  # some failed
    data = r.json()
    assert (data["succeeded"], data["failed"]) == (2, 2)
    by_number = {x["e164"]: x for x in data["results"]}
    assert by_number[good[0]]["ok"] and by_number[good[1]]["ok"]
    assert by_number["not-a-number"]["error"]["code"] == "invalid_number"
    assert by_number["+918049999996"]["error"]["status"] == 404
    assert balance(cli) == 2000 - 2 * 400
    assert "2 succeeded, 2 failed" in r.stderr


def test_release_from_file_then_cancel(live: LiveServer, cli: Cli, tmp_path: Path) -> None:
    numbers = live.stock(2)
    assert cli("numbers", "buy", *numbers, "--yes").code == 0
    file = tmp_path / "release.csv"
    file.write_text("".join(f"{n[1:]},note\n" for n in numbers))
    dry = cli("numbers", "release", "--from-file", str(file), "--dry-run", "--json")
    assert dry.code == 0, dry.stdout + dry.stderr
    assert [x["result"]["would"] for x in dry.json()["results"]] == ["pending_release"] * 2
    assert [x["result"]["release_fee"] for x in dry.json()["results"]] == [7, 7]
    assert balance(cli) == 2000 - 800  # the dry run charged nothing
    r = cli("numbers", "release", "--from-file", str(file), "--yes", "--json")
    assert r.code == 0, r.stdout
    assert [x["result"]["status"] for x in r.json()["results"]] == ["pending_release"] * 2
    assert balance(cli) == 2000 - 800 - 2 * 7  # release fee each
    c = cli("numbers", "cancel-release", numbers[0], "--json")
    assert c.code == 0 and c.json()["status"] == "active" and c.json()["refund_amount"] == 7
    again = cli("numbers", "release", numbers[1], "--yes", "--json")
    assert again.code == 1 and again.json()["results"][0]["error"]["status"] == 400


def test_list_show_and_plain_output_for_pipes(live: LiveServer, cli: Cli) -> None:
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    listed = cli("numbers", "list", "--json")
    assert [n["e164"] for n in listed.json()] == [number]
    plain = cli("numbers", "list", real=True)
    assert plain.stdout.splitlines()[0].split("\t")[0] == number  # no table, no colour
    assert "\x1b[" not in plain.stdout
    shown = cli("numbers", "show", number[1:], "--json")
    assert shown.json()["e164"] == number and shown.json()["status"] == "active"


def test_errors_go_to_stderr_with_exit_1_and_json_error(cli: Cli) -> None:
    r = cli("numbers", "show", "+918049999995")
    assert r.code == 1 and r.stdout == "" and "error:" in r.stderr
    j = cli("numbers", "show", "+918049999995", "--json")
    assert j.code == 1 and j.json()["error"]["status"] == 404


def test_transactions_and_balance_json(live: LiveServer, cli: Cli) -> None:
    number = live.stock(1)[0]
    cli("numbers", "buy", number, "--yes")
    rows = cli("transactions", "--json", "--type", "debit").json()
    assert [(t["amount"], t["reference_type"]) for t in rows] == [(400, "did_purchase")]
    assert cli("balance", "--currency", "INR", "--json").json()["balance"] == 1600


def test_global_options_before_the_noun_and_operator_token(live: LiveServer, cli: Cli) -> None:
    number = live.stock(1)[0]
    bare = {k: v for k, v in cli.env().items() if not k.startswith("DIDSTORE_")}
    r = cli(
        "--url",
        live.url,
        "--auth-token",
        "test-operator-token",
        "--account",
        cli.account.auth_id,
        "numbers",
        "buy",
        number,
        "--yes",
        "--json",
        env=bare,
        real=True,
    )
    assert r.code == 0, r.stderr + r.stdout
    mine = cli("numbers", "list", "--json").json()
    assert [n["e164"] for n in mine] == [number]
    no_account = cli("numbers", "list", env={**bare, "DIDSTORE_URL": live.url})
    assert no_account.code == 2 and "--auth-id" in no_account.stderr
