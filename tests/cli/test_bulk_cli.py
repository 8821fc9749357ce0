"""``didstore bulk …`` and ``numbers buy|release --job`` against a real server. The test
server runs no background jobs, so a helper thread stands in for the job runner (the
operator's ``POST /api/v1/admin/jobs/bulk/run``) while the CLI polls."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cli.conftest import Cli
from tests.live_server import Account, LiveServer


@contextmanager
def job_runner(live: LiveServer) -> Iterator[None]:
    stop = threading.Event()

    def loop() -> None:
        with live.admin() as http:
            while not stop.is_set():
                http.post("/api/v1/admin/jobs/bulk/run")
                stop.wait(0.1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def test_numbers_buy_as_a_job_waits_and_reports_each_number(
    live: LiveServer, cli: Cli, tmp_path: Path
) -> None:
    good = live.stock(2)
    file = tmp_path / "numbers.txt"
    file.write_text(f"{good[0]}\n+918049999995\n{good[1]}\n")
    with job_runner(live):
        r = cli("numbers", "buy", "--from-file", str(file), "--job", "--yes", "--json")
    assert r.code == 1, r.stderr  # one number failed
    data = r.json()
    assert data["status"] == "completed" and data["action"] == "purchase"
    assert [(x["e164"], x["status"]) for x in data["results"]] == [
        (good[0], "succeeded"),
        ("+918049999995", "failed"),
        (good[1], "succeeded"),
    ]
    assert data["results"][1]["error"] == "not_found"
    assert "2 succeeded, 1 failed" in r.stderr


def test_bulk_submit_dry_run_no_wait_show_list_and_cancel(live: LiveServer, cli: Cli) -> None:
    numbers = live.stock(2, setup_fee=10, monthly_fee=90)
    r = cli("bulk", "submit", "purchase", *numbers)
    assert r.code == 2 and "--yes" in r.stderr
    r = cli("bulk", "submit", "purchase", *numbers, "--dry-run", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["total_cost_minor"] == 2 * 10_000 and r.json()["count"] == 2
    r = cli("bulk", "submit", "purchase", *numbers, "--yes", "--no-wait", "--json")
    assert r.code == 0, r.stderr
    job_id = r.json()["id"]
    assert r.json()["status"] == "pending"
    listed = cli("bulk", "list", "--json")
    assert listed.code == 0 and listed.json()[0]["id"] == job_id
    shown = cli("bulk", "show", job_id, "--json", real=True)  # the installed executable
    assert shown.code == 0 and [x["status"] for x in shown.json()["results"]] == ["pending"] * 2
    assert cli("bulk", "cancel", job_id).code == 2  # needs --yes
    cancelled = cli("bulk", "cancel", job_id, "--yes", "--json")
    assert cancelled.code == 0 and cancelled.json()["status"] == "cancelled"
    waited = cli("bulk", "wait", job_id, "--json")
    assert waited.code == 0 and waited.json()["progress"]["cancelled"] == 2
    again = cli("bulk", "cancel", job_id, "--yes")
    assert again.code == 1 and "bulk_job_finished" in again.stderr


def test_a_large_release_job_needs_the_dry_runs_token(live: LiveServer, cli: Cli) -> None:
    numbers = live.stock(11, setup_fee=1, monthly_fee=1)
    with job_runner(live):
        bought = cli("bulk", "submit", "purchase", *numbers, "--yes", "--interval", "0.1")
        assert bought.code == 0, bought.stderr
        r = cli("numbers", "release", *numbers, "--job", "--yes")
        assert r.code == 2 and "--confirm" in r.stderr
        preview = cli("numbers", "release", *numbers, "--job", "--dry-run", "--json")
        assert preview.code == 0, preview.stderr
        token = preview.json()["confirm_token"]
        assert token and "--confirm" in preview.stderr
        r = cli("numbers", "release", *numbers, "--job", "--yes", "--confirm", token, "--json")
    assert r.code == 0, r.stderr
    assert r.json()["progress"]["succeeded"] == 11
    assert {x["status"] for x in r.json()["results"]} == {"succeeded"}


def test_a_from_file_that_is_not_text_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    """A probe found a binary ``--from-file`` (a spreadsheet given by mistake) ended in a
    UnicodeDecodeError traceback: it is now one line and exit code 2, nothing sent."""
    file = tmp_path / "numbers.xlsx"
    file.write_bytes(b"PK\x03\x04\xa9\xff\x00binary")
    for args in (("bulk", "submit", "purchase"), ("numbers", "buy"), ("numbers", "release")):
        r = cli(*args, "--from-file", str(file), "--dry-run")
        assert r.code == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and "UnicodeDecodeError" not in r.stderr
        assert f"cannot read {file}: not UTF-8 text" in r.stderr.replace("\n", "")


def test_move_jobs_to_a_sub_account_and_back(live: LiveServer, cli: Cli, account: Account) -> None:
    numbers = live.stock(2, setup_fee=1, monthly_fee=1)
    sub = cli("subaccounts", "create", "--name", "branch").stdout.split()[0]
    with job_runner(live):
        assert cli("bulk", "submit", "purchase", *numbers, "--yes").code == 0
        moved = cli("bulk", "submit", "move", *numbers, "--subaccount", sub, "--yes", "--json")
        assert moved.code == 0, moved.stderr
        assert moved.json()["progress"]["succeeded"] == 2
        r = cli("bulk", "submit", "unassign_subaccount", *numbers)
        assert r.code == 2 and "--yes" in r.stderr  # it takes numbers away from the sub
        back = cli("bulk", "submit", "unassign_subaccount", *numbers, "--yes", "--json")
    assert back.code == 0, back.stderr
    assert back.json()["action"] == "unassign_subaccount"
    assert [x["status"] for x in back.json()["results"]] == ["succeeded", "succeeded"]
    for n in numbers:
        shown = cli("numbers", "show", n, "--json")
        assert shown.code == 0 and shown.json()["account_id"] == account.auth_id, shown.stdout


def test_the_operator_lists_and_shows_every_accounts_jobs(
    live: LiveServer, cli: Cli, account: Account
) -> None:
    numbers = live.stock(2, setup_fee=1, monthly_fee=1)
    r = cli("bulk", "submit", "purchase", *numbers, "--yes", "--no-wait", "--json")
    job_id = r.json()["id"]
    bare = {k: v for k, v in cli.env().items() if not k.startswith("DIDSTORE_")}
    op = {**bare, "DIDSTORE_URL": live.url, "DIDSTORE_AUTH_TOKEN": "test-operator-token"}
    listed = cli("bulk", "list", "--operator", "--account", account.auth_id, "--json", env=op)
    assert listed.code == 0, listed.stderr
    assert [(j["id"], j["account_id"]) for j in listed.json()] == [(job_id, account.auth_id)]
    table = cli("bulk", "list", "--operator", "--status", "pending", env=op, real=True)
    assert table.code == 0 and job_id in table.stdout and account.auth_id in table.stdout
    done = cli("bulk", "list", "--operator", "--status", "completed", "--account",
               account.auth_id, "--json", env=op)  # fmt: skip
    assert done.code == 0 and done.json() == []
    with job_runner(live):
        waited = cli("bulk", "wait", job_id, "--operator", "--interval", "0.1", "--json", env=op)
    assert waited.code == 0, waited.stderr
    assert waited.json()["progress"]["succeeded"] == 2
    shown = cli("bulk", "show", job_id, "--operator", "--json", env=op)
    assert shown.code == 0 and shown.json()["account_id"] == account.auth_id
    # an account's credentials do not see the operator's view; --status needs --operator
    assert cli("bulk", "show", job_id, "--operator").code == 1
    assert cli("bulk", "list", "--status", "pending").code == 2
