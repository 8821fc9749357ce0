"""Jobs by hand (CLI), the worker, and ``didstore ledger verify``."""

from __future__ import annotations

import json

from sqlalchemy import update
from typer.testing import CliRunner

from didstore.cli.main import app as cli
from didstore.clock import FixedClock
from didstore.db.tables import wallets
from tests.conftest import (
    IN_NUMBERS,
    buy,
    charge_count,
    make_account,
    number_row,
    numbers_due_in_a_month,
    stock,
)
from tests.support import TestServices

runner = CliRunner()


def test_cli_jobs_run_with_now_and_json(
    state: TestServices, clock: FixedClock, database_url: str
) -> None:
    due = numbers_due_in_a_month(state, clock)
    args = ["jobs", "run", "renewals", "--now", due, "--json", "--database-url", database_url]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["job"] == "renewals" and report["charged"] == 2 and report["failed"] == 0
    again = json.loads(runner.invoke(cli, args).stdout)
    assert again["charged"] == 0 and charge_count(state) == 2
    text = runner.invoke(cli, ["jobs", "run", "all", "--now", due, "--database-url", database_url])
    assert text.exit_code == 0 and "charged 0" in text.stdout
    for counter in ("reservations expired 0", "bulk items 0", "bulk jobs completed 0"):
        assert counter in text.stdout


def test_cli_rejects_unknown_jobs_and_future_now(database_url: str) -> None:
    r = runner.invoke(cli, ["jobs", "run", "billing", "--database-url", database_url])
    assert r.exit_code == 2
    r = runner.invoke(
        cli,
        [
            "jobs",
            "run",
            "renewals",
            "--now",
            "2999-01-01T00:00:00Z",
            "--database-url",
            database_url,
        ],
    )
    assert r.exit_code == 2
    r = runner.invoke(
        cli, ["jobs", "run", "renewals", "--now", "soon", "--database-url", database_url]
    )
    assert r.exit_code == 2


def test_worker_once_runs_every_job(
    state: TestServices, clock: FixedClock, database_url: str
) -> None:
    # The worker runs on the real clock: a number due long ago is charged by one pass.
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1], monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])  # bought at T0 (2026-01-31): many periods are due now
    result = runner.invoke(cli, ["worker", "--once", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    n = number_row(state, IN_NUMBERS[0])
    assert charge_count(state) >= 1
    assert n.state in ("active", "suspended", "quarantined", "available")


def test_ledger_verify_exit_codes(
    state: TestServices, clock: FixedClock, database_url: str
) -> None:
    acct = make_account(state, balance=1_000)
    ok = runner.invoke(cli, ["ledger", "verify", "--database-url", database_url])
    assert ok.exit_code == 0, ok.output
    assert "ledger OK" in ok.stdout
    ok_json = runner.invoke(cli, ["ledger", "verify", "--json", "--database-url", database_url])
    assert ok_json.exit_code == 0 and json.loads(ok_json.stdout) == {"ok": True, "problems": []}
    account = state.accounts.get(acct.auth_id)
    with state.db.write() as conn:  # corrupt a balance behind the ledger's back
        conn.execute(
            update(wallets).where(wallets.c.account_id == account.id).values(balance_minor=1)
        )
    bad = runner.invoke(cli, ["ledger", "verify", "--json", "--database-url", database_url])
    assert bad.exit_code == 1, (bad.output, bad.exception)
    assert bad.exception is None or isinstance(bad.exception, SystemExit)
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert report["problems"][0]["account_auth_id"] == acct.auth_id
    assert report["problems"][0]["ledger_sum_minor"] == 100_000
