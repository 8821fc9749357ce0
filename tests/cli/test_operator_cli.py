"""Operator commands run in-process against the real database."""

import json
from pathlib import Path

from typer.testing import CliRunner

from didstore.cli.main import app
from didstore.services.audit_query import AuditFilters
from tests.conftest import IN_NUMBERS
from tests.support import TestServices

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_accounts_credit_import_and_ledger_verify(
    database_url: str, db: object, tmp_path: Path
) -> None:
    code, out = _run(
        "accounts",
        "create",
        "--partner",
        "--name",
        "R",
        "--currency",
        "INR",
        "--database-url",
        database_url,
        "--json",
    )
    assert code == 0, out
    partner = json.loads(out)["auth_id"]
    code, out = _run(
        "accounts",
        "create",
        "--name",
        "Acme",
        "--currency",
        "INR",
        "--partner-id",
        partner,
        "--release-fee",
        "700",
        "--database-url",
        database_url,
        "--json",
    )
    assert code == 0, out
    acct = json.loads(out)
    assert acct["auth_id"].startswith("MA_") and acct["release_fee"] == 700

    code, out = _run(
        "accounts",
        "credit",
        acct["auth_id"],
        "250.50",
        "--currency",
        "INR",
        "--database-url",
        database_url,
        "--json",
    )
    assert code == 0 and json.loads(out)["balance"] == 250.5
    code, _ = _run(
        "accounts",
        "credit",
        acct["auth_id"],
        "0",
        "--currency",
        "INR",
        "--database-url",
        database_url,
    )
    assert code == 1

    csv_file = tmp_path / "n.csv"
    csv_file.write_text(
        "e164,region,setup_fee,monthly_fee,currency\n"
        f"{IN_NUMBERS[0]},KA,100,300,INR\n{IN_NUMBERS[1]},KA,100,300,INR\nbad,KA,1,1,INR\n"
    )
    code, out = _run(
        "inventory", "import", str(csv_file), "--dry-run", "--database-url", database_url, "--json"
    )
    report = json.loads(out)
    assert (
        code == 2
        and report["created"] == 2
        and report["dry_run"] is True
        and len(report["errors"]) == 1
    )
    code, out = _run("inventory", "import", str(csv_file), "--database-url", database_url, "--json")
    assert json.loads(out)["created"] == 2
    code, out = _run("inventory", "import", str(csv_file), "--database-url", database_url, "--json")
    assert json.loads(out)["created"] == 0 and json.loads(out)["skipped"] == 2

    code, out = _run("ledger", "verify", "--database-url", database_url, "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, _ = _run("db", "upgrade", "--database-url", database_url)
    assert code == 0


def test_ledger_verify_fails_when_a_balance_drifts(database_url: str, db: object) -> None:
    from sqlalchemy import create_engine, text

    from didstore.db.engine import normalize_url

    code, out = _run(
        "accounts",
        "create",
        "--name",
        "A",
        "--currency",
        "INR",
        "--database-url",
        database_url,
        "--json",
    )
    auth_id = json.loads(out)["auth_id"]
    _run("accounts", "credit", auth_id, "10", "--currency", "INR", "--database-url", database_url)
    engine = create_engine(normalize_url(database_url))
    with engine.begin() as conn:  # simulate corruption outside the application
        conn.execute(text("UPDATE wallets SET balance_minor = balance_minor + 1"))
    engine.dispose()
    code, out = _run("ledger", "verify", "--database-url", database_url, "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_report_commands(database_url: str, db: object) -> None:
    code, out = _run(
        "accounts",
        "create",
        "--partner",
        "--name",
        "R",
        "--currency",
        "INR",
        "--database-url",
        database_url,
        "--json",
    )
    partner = json.loads(out)["auth_id"]
    for args in (
        ["renewals"],
        ["routing"],
        ["kyc"],
        ["costs", "--from", "2026-01-01", "--to", "2026-12-31"],
    ):
        code, out = _run(
            "report", *args, "--partner", partner, "--database-url", database_url, "--json"
        )
        assert code == 0 and json.loads(out) == [], (args, out)
    code, out = _run(
        "report", "routing", "--partner", partner, "--database-url", database_url, "--csv"
    )
    assert code == 0 and out.startswith("e164,account_id")
    code, _ = _run("report", "kyc", "--partner", "MA_NOPE0000", "--database-url", database_url)
    assert code == 1
    code, _ = _run(
        "report",
        "costs",
        "--partner",
        partner,
        "--from",
        "soon",
        "--to",
        "later",
        "--database-url",
        database_url,
    )
    assert code == 1


def test_rotate_token_replaces_the_token_and_is_audited(
    database_url: str, db: object, state: TestServices
) -> None:
    made = ("accounts", "create", "--name", "Acme", "--currency", "INR")
    code, out = _run(*made, "--database-url", database_url, "--json")
    assert code == 0, out
    created = json.loads(out)
    auth_id, old = created["auth_id"], created["auth_token"]
    code, out = _run("accounts", "rotate-token", auth_id, "--database-url", database_url, "--json")
    assert code == 0, out
    new = json.loads(out)["auth_token"]
    assert new != old and json.loads(out)["auth_id"] == auth_id
    assert state.accounts.authenticate(auth_id, new) is not None
    assert state.accounts.authenticate(auth_id, old) is None
    actions = [e["action"] for e in state.audit.list(AuditFilters(account_id=auth_id), 1, 50).items]
    assert "account.token_rotate" in actions
    code, _ = _run("accounts", "rotate-token", "MA_NOPE0000", "--database-url", database_url)
    assert code == 1
