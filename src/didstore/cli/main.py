"""``didstore``: run the server and operate it. Operator commands work in-process on the
database (``--database-url``/``DIDSTORE_DATABASE_URL``).

Start-up cost: the server stack (FastAPI, uvicorn, SQLAlchemy, phonenumbers) is imported
inside the operator commands that need it, never at module level, so the SDK-based resource
commands (``didstore numbers …``, ``didstore balance``) start without it
(tests/cli/test_startup.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import Progress

from didstore.cli.backup import register as register_backup
from didstore.cli.common import (
    DatabaseUrl,
    JsonFlag,
    emit_json,
    err,
    fail,
    in_process,
    load_settings,
    out,
)
from didstore.cli.exports import register as register_exports
from didstore.cli.jobs import jobs_app, worker
from didstore.cli.report import app as report_app
from didstore.domain.errors import DomainError
from didstore.services.models import CLI

if TYPE_CHECKING:
    from didstore.config import Settings

app = typer.Typer(
    help="didstore: DID inventory, provisioning and rental billing.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
accounts_app = typer.Typer(help="Partners and main accounts (operator).", no_args_is_help=True)
inventory_app = typer.Typer(help="Number inventory (operator).", no_args_is_help=True)
ledger_app = typer.Typer(help="Wallet ledger checks.", no_args_is_help=True)
app.add_typer(db_app, name="db")
register_backup(db_app)
app.add_typer(accounts_app, name="accounts")
app.add_typer(inventory_app, name="inventory")
app.add_typer(ledger_app, name="ledger")
app.add_typer(report_app, name="report")
app.add_typer(jobs_app, name="jobs")
app.command("worker")(worker)
register_exports(inventory_app, app)


_LIMITS = (
    "reservation_max_ttl",
    "rate_limit",
    "rate_limit_sync",
    "ip_rate_limit",
    "auth_fail_limit",
    "ip_auth_fail_limit",
    "auth_fail_window",
    "max_body_bytes",
    "max_import_bytes",
    "body_timeout",
    "max_header_bytes",
    "header_timeout",
    "keep_alive_timeout",
    "statement_timeout",
    "bulk_job_max_numbers",
    "bulk_confirm_threshold",
)


def _limit(help_text: str) -> Any:
    """A ``serve`` limit option: unset, the ``Settings`` field reads its ``DIDSTORE_*``
    variable or keeps its default."""
    return typer.Option(None, min=0, help=help_text, show_default=False)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", envvar="DIDSTORE_HOST"),
    port: int = typer.Option(8080, envvar="DIDSTORE_PORT"),
    database_url: str | None = DatabaseUrl,
    demo: bool = typer.Option(False, "--demo", help="Seed demo data and print credentials."),
    test_clock: bool = typer.Option(
        False,
        "--test-clock",
        envvar="DIDSTORE_TEST_CLOCK",
        help="Let the operator move time (POST /api/v1/admin/clock).",
    ),
    jobs: bool = typer.Option(
        True,
        "--jobs/--no-jobs",
        envvar="DIDSTORE_JOBS",
        help="Run the background jobs inside the server (once, whatever --workers).",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        envvar="DIDSTORE_WORKERS",
        help="Server processes sharing the port (PostgreSQL only).",
    ),
    access_log: bool = typer.Option(
        True,
        "--access-log/--no-access-log",
        envvar="DIDSTORE_ACCESS_LOG",
        help="One JSON line per request on stderr.",
    ),
    # limits (docs/adr/0015-limits.md): unset options take DIDSTORE_* or the default; 0 = off
    rate_limit: int | None = _limit("Requests per minute per credential [DIDSTORE_RATE_LIMIT]."),
    rate_limit_sync: float | None = _limit(
        "PostgreSQL: seconds between a process's counter updates [DIDSTORE_RATE_LIMIT_SYNC]."
    ),
    ip_rate_limit: int | None = _limit(
        "Requests per minute per client address without a credential [DIDSTORE_IP_RATE_LIMIT]."
    ),
    auth_fail_limit: int | None = _limit(
        "Wrong credentials per auth_id per window before 429 [DIDSTORE_AUTH_FAIL_LIMIT]."
    ),
    ip_auth_fail_limit: int | None = _limit(
        "Wrong credentials per address per window before 429 [DIDSTORE_IP_AUTH_FAIL_LIMIT]."
    ),
    auth_fail_window: int | None = _limit(
        "Seconds of the failed-authentication window [DIDSTORE_AUTH_FAIL_WINDOW]."
    ),
    max_body_bytes: int | None = _limit("Request body cap, bytes [DIDSTORE_MAX_BODY_BYTES]."),
    max_import_bytes: int | None = _limit(
        "Inventory import body cap, bytes [DIDSTORE_MAX_IMPORT_BYTES]."
    ),
    body_timeout: float | None = _limit("Seconds for a body to arrive [DIDSTORE_BODY_TIMEOUT]."),
    max_header_bytes: int | None = _limit(
        "Request line and headers cap, bytes [DIDSTORE_MAX_HEADER_BYTES]."
    ),
    header_timeout: float | None = _limit(
        "Seconds for the headers to arrive [DIDSTORE_HEADER_TIMEOUT]."
    ),
    keep_alive_timeout: float | None = _limit(
        "Seconds an idle connection stays open [DIDSTORE_KEEP_ALIVE_TIMEOUT]."
    ),
    statement_timeout: float | None = _limit(
        "Seconds a database statement or wait may take [DIDSTORE_STATEMENT_TIMEOUT]."
    ),
    reservation_max_ttl: int | None = typer.Option(
        None,
        min=1,
        show_default=False,
        help="Longest number reservation (hold), seconds [DIDSTORE_RESERVATION_MAX_TTL].",
    ),
    bulk_job_max_numbers: int | None = typer.Option(
        None,
        min=1,
        show_default=False,
        help="Most numbers one bulk job may hold [DIDSTORE_BULK_JOB_MAX_NUMBERS, 1000].",
    ),
    bulk_confirm_threshold: int | None = _limit(
        "A release or move job over this many numbers needs its dry run's confirmation token"
        " (0: never) [DIDSTORE_BULK_CONFIRM_THRESHOLD, 10]."
    ),
    allow_private_webhooks: bool = typer.Option(
        False,
        "--allow-private-webhooks",
        envvar="DIDSTORE_ALLOW_PRIVATE_WEBHOOKS",
        help="Let stored URLs (webhooks, trunk and application URLs) point at loopback and"
        " private addresses: on-premises receivers and tests.",
    ),
) -> None:
    """Run the HTTP server (migrations apply at start).

    With --workers N (PostgreSQL), N processes serve the port; this process migrates the
    database, runs the background jobs (unless --no-jobs) and supervises them."""
    import os

    from didstore.db.engine import default_database_url

    limits = {k: v for k, v in locals().items() if k in _LIMITS}
    url = database_url or default_database_url()
    postgres = url.startswith(("postgres://", "postgresql"))
    if workers > 1 and not postgres:
        err.print(
            "[red]error:[/red] --workers needs PostgreSQL: SQLite takes one writer at a time,"
            " so a second process adds lock waits, not throughput (use --database-url"
            " postgresql://…, or one worker)"
        )
        raise typer.Exit(code=2)
    if workers > 1 and test_clock:
        err.print("[red]error:[/red] --test-clock keeps the clock in one process: use one worker")
        raise typer.Exit(code=2)
    # the app is built from the environment in each server process (uvicorn imports
    # didstore.api.app:app_factory), so every option travels there; metrics of several
    # processes meet in a directory (set before prometheus_client is imported)
    os.environ.update(
        DIDSTORE_DATABASE_URL=url,
        DIDSTORE_TEST_CLOCK="1" if test_clock else "0",
        DIDSTORE_JOBS="1" if jobs and workers == 1 else "0",
        DIDSTORE_ACCESS_LOG="1" if access_log else "0",
        DIDSTORE_ALLOW_PRIVATE_WEBHOOKS="1" if allow_private_webhooks else "0",
    )
    metrics_dir = None
    if workers > 1:
        import tempfile

        metrics_dir = tempfile.mkdtemp(prefix="didstore-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        # the console's session cookies must verify in every worker: without a configured
        # key, one random key for this run, shared through the environment (ADR 0019)
        if not os.environ.get("DIDSTORE_CONSOLE_SECRET"):
            import secrets

            os.environ["DIDSTORE_CONSOLE_SECRET"] = secrets.token_urlsafe(32)

    import uvicorn

    from didstore.db.migrate import migrate
    from didstore.http_server import uvicorn_options

    given = {k: v for k, v in limits.items() if v is not None}
    for name, value in given.items():  # to the server processes, with the other options
        os.environ[f"DIDSTORE_{name.upper()}"] = str(value)
    settings = load_settings(database_url=url, test_clock=test_clock, run_jobs=jobs, **given)
    migrate(url)
    if demo:
        _seed_demo(settings, host, port)
    elif workers > 1:  # else the server's own start-up does it
        _ensure_operator_token(settings)
    err.print(
        f"didstore listening on http://{host}:{port}"
        f" ({'postgresql' if postgres else 'sqlite'}"
        f"{f', {workers} workers' if workers > 1 else ''})"
    )
    thread = None
    if jobs and workers > 1:
        from didstore.clock import SystemClock
        from didstore.worker import JobThread

        thread = JobThread(settings, SystemClock(), settings.job_interval)
        thread.start()
    try:
        uvicorn.run(
            "didstore.api.app:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            **uvicorn_options(settings),
        )
    finally:
        if thread is not None:
            thread.stop()
        if metrics_dir is not None:
            import shutil

            shutil.rmtree(metrics_dir, ignore_errors=True)


def _ensure_operator_token(settings: Settings) -> None:
    from didstore.bootstrap import Services

    async def work(state: Services) -> str | None:
        return await state.operator.ensure()

    token = in_process(settings.database_url, work, admin_token=settings.admin_token)
    if token:
        err.print(f"operator token (shown once): {token}")


def _seed_demo(settings: Settings, host: str, port: int) -> None:
    from didstore.bootstrap import Services
    from didstore.demo import DEMO_MARKER, DemoData, demo_auth_ids, seed

    async def work(state: Services) -> tuple[str | None, DemoData | None, list[str]]:
        token = await state.operator.ensure()
        if await state.accounts.exists_named(DEMO_MARKER):
            return token, None, await demo_auth_ids(state)
        return token, await seed(state), []

    token, data, existing = in_process(
        settings.database_url, work, admin_token=settings.admin_token
    )
    if token:
        err.print(f"operator token (shown once): {token}")
    if data is None:
        err.print("demo data already present; its tokens were printed when it was created.")
        err.print("Mint new ones (the old ones stop working):")
        for auth_id in existing:
            err.print(f"  didstore accounts rotate-token {auth_id}", highlight=False)
        return
    base = f"http://{host}:{port}"
    a, s, p = data.account, data.sub_account, data.partner
    numbers = json.dumps(list(data.sample))
    banner = f"""
Demo data: {data.numbers_created} IN and US numbers in stock.
  partner      {p.account.auth_id}  token {p.auth_token}
  main account {a.account.auth_id}  token {a.auth_token}  (wallet: 100000 INR, 500 USD)
  sub-account  {s.account.auth_id}  token {s.auth_token}

Open the console: {base}/console/ and sign in with an auth ID and its token
(the operator: an empty auth ID and the operator token).

Or the API:
  curl -s -H 'X-Auth-ID: {a.account.auth_id}' -H 'X-Auth-Token: {a.auth_token}' \\
    '{base}/api/v1/Account/{a.account.auth_id}/inventory/numbers?country=IN&per_page=5'

Hold two numbers for 15 minutes (nobody else can buy them; no money moves):
  curl -s -H 'X-Auth-ID: {a.account.auth_id}' -H 'X-Auth-Token: {a.auth_token}' \\
    -H 'Content-Type: application/json' -d '{{"numbers": {numbers}}}' \\
    '{base}/api/v1/Account/{a.account.auth_id}/numbers/reservations'

Preview buying three numbers as one bulk job (drop "dry_run" to run it in the background,
then GET …/jobs/<id>):
  curl -s -H 'X-Auth-ID: {a.account.auth_id}' -H 'X-Auth-Token: {a.auth_token}' \\
    -H 'Content-Type: application/json' \\
    -d '{{"action": "purchase", "search": {{"country": "IN", "limit": 3}}, "dry_run": true}}' \\
    '{base}/api/v1/Account/{a.account.auth_id}/jobs'
"""
    err.print(banner, soft_wrap=True, highlight=False, markup=False)


@db_app.command("upgrade")
def db_upgrade(database_url: str | None = DatabaseUrl) -> None:
    """Apply migrations up to the latest revision."""
    from didstore.db.engine import default_database_url
    from didstore.db.migrate import migrate

    migrate(database_url or default_database_url())
    err.print("database is up to date")


@accounts_app.command("create")
def accounts_create(
    name: str = typer.Option(..., "--name"),
    currency_code: str = typer.Option(..., "--currency"),
    partner: bool = typer.Option(False, "--partner", help="Create a partner (PA_) instead."),
    partner_id: str | None = typer.Option(None, "--partner-id", help="Owning partner (PA_...)."),
    release_fee: int = typer.Option(0, "--release-fee", help="Whole currency units."),
    email: str = typer.Option("", "--email"),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Create a main account (or, with --partner, a partner) and print its credentials once."""
    from didstore.bootstrap import Services
    from didstore.services.accounts import Credentials
    from didstore.wire import accounts as accounts_wire

    async def work(state: Services) -> Credentials:
        if partner:
            return await state.accounts.create_partner(CLI, name=name, currency_code=currency_code)
        return await state.accounts.create_main_account(
            CLI,
            name=name,
            currency_code=currency_code,
            partner_id=partner_id,
            release_fee=release_fee,
            email=email,
        )

    try:
        creds = in_process(database_url, work)
    except DomainError as exc:
        raise fail(exc) from exc
    data = accounts_wire.account_credentials(creds.account, creds.auth_token)
    if json_out:
        emit_json(data)
    else:
        out.print(f"{data['auth_id']}\t{data['auth_token']}")
        err.print("the token is shown only now: store it safely")


@accounts_app.command("rotate-token")
def accounts_rotate_token(
    auth_id: str = typer.Argument(..., help="PA_..., MA_... or SA_..."),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Give an account a new token and print it once (the old one stops working)."""
    from didstore.bootstrap import Services
    from didstore.services.accounts import Credentials
    from didstore.wire import accounts as accounts_wire

    async def work(state: Services) -> Credentials:
        return await state.accounts.rotate_token(CLI, auth_id)

    try:
        creds = in_process(database_url, work)
    except DomainError as exc:
        raise fail(exc) from exc
    data = accounts_wire.account_credentials(creds.account, creds.auth_token)
    if json_out:
        emit_json(data)
    else:
        out.print(f"{data['auth_id']}\t{data['auth_token']}")
        err.print("the new token is shown only now: store it safely")


@accounts_app.command("credit")
def accounts_credit(
    auth_id: str = typer.Argument(..., help="MA_... or PA_..."),
    amount: str = typer.Argument(..., help="Amount in currency units, e.g. 500 or 12.50"),
    currency_code: str = typer.Option(..., "--currency"),
    description: str | None = typer.Option(None, "--description"),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Credit a wallet (a ledger row of type payment)."""
    from didstore.bootstrap import Services
    from didstore.domain.money import currency, to_units
    from didstore.services.wallet import CreditResult
    from didstore.wire import accounts as accounts_wire

    async def work(state: Services) -> CreditResult:
        account = await state.accounts.get(auth_id)
        return await state.wallet.credit(
            CLI, account, amount=amount, currency_code=currency_code, description=description
        )

    try:
        result = in_process(database_url, work)
    except DomainError as exc:
        raise fail(exc) from exc
    balance = to_units(result.balance_minor, currency(result.entry.currency))
    if json_out:
        emit_json(
            {
                "transaction": accounts_wire.transaction(result.entry),
                "balance": balance,
                "currency": result.entry.currency,
            }
        )
    else:
        out.print(f"{auth_id}: balance {balance} {result.entry.currency}")


@inventory_app.command("import")
def inventory_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count; write nothing."),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Stock numbers from a CSV file (columns: e164, region, setup_fee, monthly_fee, currency,
    country, capabilities, aadhaar_verification_required, tags)."""
    from didstore.bootstrap import Services
    from didstore.services.inventory import ImportReport, read_csv

    try:
        rows = read_csv(file.read_bytes())
    except DomainError as exc:
        raise fail(exc) from exc
    show = err.is_terminal and not json_out
    with Progress(console=err, disable=not show, transient=True) as progress:
        task = progress.add_task("importing", total=len(rows))

        async def work(state: Services) -> ImportReport:
            return await state.inventory.import_rows(
                CLI, rows, dry_run=dry_run, progress=lambda n: progress.advance(task, n)
            )

        report = in_process(database_url, work)
    data = {
        "created": report.created,
        "skipped": report.skipped,
        "errors": [{"row": e.row, "e164": e.e164, "error": e.error} for e in report.errors],
        "dry_run": dry_run,
    }
    if json_out:
        emit_json(data)
    else:
        verb = "would create" if dry_run else "created"
        out.print(f"{verb} {report.created}, skipped {report.skipped}, errors {len(report.errors)}")
        for e in report.errors[:50]:
            err.print(f"  row {e.row} {e.e164}: {e.error}")
    if report.errors:
        raise typer.Exit(code=2)


@ledger_app.command("verify")
def ledger_verify(database_url: str | None = DatabaseUrl, json_out: bool = JsonFlag) -> None:
    """Prove every wallet balance equals its ledger sum and none is negative (exit 1 if not)."""
    from didstore.bootstrap import Services
    from didstore.services.wallet import LedgerProblem

    async def work(state: Services) -> list[LedgerProblem]:
        return await state.wallet.verify()

    problems = in_process(database_url, work)
    if json_out:
        emit_json({"ok": not problems, "problems": [asdict(p) for p in problems]})
    elif problems:
        for p in problems:
            err.print(
                f"[red]{p.account_auth_id} {p.currency}: balance {p.balance_minor} "
                f"!= ledger {p.ledger_sum_minor} (minor units)[/red]"
            )
    else:
        out.print("ledger OK: every balance equals its ledger and none is negative")
    if problems:
        raise typer.Exit(code=1)


# Resource commands over the SDK (numbers, trunks, applications, balance, transactions).
from didstore.cli.resources import register as _register_resources  # noqa: E402

_register_resources(app)
