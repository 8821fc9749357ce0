"""Resource commands over the SDK, noun-verb, against a local or remote server:
``didstore numbers …`` here; ``trunks``/``applications`` (``routing.py``), ``subaccounts``
(``subaccounts.py``), ``partner`` (``partner.py``), ``balance``/``transactions``
(``wallet.py``) beside it.

Billable or destructive commands (``numbers buy``, ``numbers release``, every ``delete``)
refuse to run without ``--yes``; ``--dry-run`` shows what would happen. A purchase costs
``setup_fee + monthly_fee`` per number, from the inventory listing. A release costs the
account's release fee (plus any unpaid minimum-commitment months), which the API does not
expose before the release: the dry run says so instead of guessing, and the release
answer shows the fee charged.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import typer

from didstore.cli import bulk
from didstore.cli.bulk_jobs import bulk_app, submit_job
from didstore.cli.events import add_lock_commands, events_app, webhooks_app
from didstore.cli.exports import CsvFlag, Output, sink
from didstore.cli.partner import partner_app
from didstore.cli.remote import Remote, command, emit, err, narrate, require_yes, root_callback
from didstore.cli.reservations import add_reserve_command, reservations_app
from didstore.cli.routing import applications_app, trunks_app
from didstore.cli.subaccounts import subaccounts_app
from didstore.cli.wallet import top
from didstore.client import InventoryNumber, PhoneNumber, normalize

numbers_app = typer.Typer(
    help="Phone numbers: search, buy, list, release, route.", no_args_is_help=True
)

Yes = typer.Option(False, "--yes", "-y", help="Confirm a billable or destructive action.")
DryRun = typer.Option(False, "--dry-run", help="Show what would happen; change nothing.")
Limit = typer.Option(25, "--limit", "-L", min=1, help="Show at most this many.")
All = typer.Option(False, "--all", help="Every item, across all pages.")
FromFile = typer.Option(None, "--from-file", "-f", help="One number a line ('-' = stdin).")
Number = typer.Argument(..., help="The number, in any spelling (+91…, 91…, %2B91…).")
AsJob = typer.Option(
    False, "--job", help="Submit one bulk job (done by the server's job runner; see 'bulk')."
)
JobWait = typer.Option(True, "--wait/--no-wait", help="With --job: follow the job to its end.")

NUMBER_COLUMNS = ["number", "status", "account", "monthly", "currency", "trunk", "application"]


def _number_row(n: PhoneNumber) -> list[Any]:
    return [
        n.e164,
        n.status,
        n.account_id,
        n.monthly_fee,
        n.currency,
        n.trunk_group_id,
        n.application_id,
    ]


def _take(items: Any, limit: int, everything: bool) -> list[Any]:
    return list(items) if everything else list(itertools.islice(items, limit))


# -- numbers ---------------------------------------------------------------------------------
@command(numbers_app, "search")
def numbers_search(
    remote: Remote,
    country: str | None = typer.Option(None, "--country", "-c", help="ISO-2, e.g. IN."),
    search: str | None = typer.Option(None, "--search", "-s", help="Part of the number."),
    exclude: list[str] = typer.Option([], "--exclude", "-x", help="Prefix to leave out."),
    limit: int = Limit,
    everything: bool = All,
) -> None:
    """Search numbers in stock, with what buying each costs now."""
    pager = remote.client.phone_numbers.list_inventory_numbers(
        remote.account,
        country=country,
        search=search,
        exclude=exclude or None,
        per_page=min(limit, 100),
    )
    items: list[InventoryNumber] = _take(pager, limit, everything)
    rows = [
        [n.e164, n.country, n.region, n.setup_fee, n.monthly_fee, n.upfront_cost, n.currency]
        for n in items
    ]
    emit(
        remote,
        [n.to_dict() for n in items],
        rows,
        ["number", "country", "region", "setup", "monthly", "due now", "currency"],
    )
    if remote.tty:
        narrate(f"{len(items)} of {pager.total} available")


def _inventory_entry(remote: Remote, number: str) -> InventoryNumber | None:
    for item in remote.client.phone_numbers.list_inventory_numbers(remote.account, search=number):
        if item.e164 == number:
            return item
    return None


@command(numbers_app, "buy")
def numbers_buy(
    remote: Remote,
    numbers: list[str] = typer.Argument(None, help="Numbers to buy (any spelling)."),
    from_file: Path | None = FromFile,
    currency: str | None = typer.Option(
        None, "--currency", help="Pay in this currency (default: the number's)."
    ),
    yes: bool = Yes,
    dry_run: bool = DryRun,
    job: bool = AsJob,
    wait: bool = JobWait,
) -> None:
    """Buy numbers from inventory (debits setup fee + first month each)."""
    wanted = bulk.canonical(bulk.read_numbers(numbers or [], from_file))
    require_yes(yes, dry_run, f"buying {len(wanted)} number(s)")
    if job:
        params = {"currency": currency} if currency else {}
        submit_job(
            remote, "purchase", wanted, params, dry_run=dry_run, confirm=None, wait=wait,
            interval=1.0,
        )  # fmt: skip
        return
    if dry_run:
        _buy_dry_run(remote, wanted)
        return
    pn = remote.client.phone_numbers

    def buy(number: str) -> dict[str, Any]:
        bought = pn.purchase_from_inventory(remote.account, number, currency=currency)
        return bought.number.to_dict() if bought.number else bought.to_dict()

    bulk.report(remote, "buy", bulk.run_each(remote, "buying", wanted, buy), "status")


def _buy_dry_run(remote: Remote, wanted: list[str]) -> None:
    lines: list[dict[str, Any]] = []
    totals: dict[str, float] = {}
    for number in wanted:
        try:
            entry = _inventory_entry(remote, normalize(number))
        except ValueError:
            entry = None
        if entry is None:
            lines.append({"e164": number, "available": False})
            continue
        totals[entry.currency] = totals.get(entry.currency, 0) + entry.upfront_cost
        lines.append(
            {
                "e164": entry.e164,
                "available": True,
                "setup_fee": entry.setup_fee,
                "monthly_fee": entry.monthly_fee,
                "cost": entry.upfront_cost,
                "currency": entry.currency,
            }
        )
    rows = [
        [
            x["e164"],
            "available" if x["available"] else "NOT AVAILABLE",
            x.get("cost", ""),
            x.get("currency", ""),
        ]
        for x in lines
    ]
    emit(
        remote,
        {"dry_run": True, "numbers": lines, "total": totals},
        rows,
        ["number", "availability", "cost now", "currency"],
    )
    narrate(
        "dry run: would charge " + (", ".join(f"{v:g} {k}" for k, v in totals.items()) or "nothing")
    )
    if any(not x["available"] for x in lines):
        raise typer.Exit(1)


@command(numbers_app, "list")
def numbers_list(
    remote: Remote,
    search: str | None = typer.Option(None, "--search", "-s", help="Part of the number."),
    limit: int = typer.Option(50, "--limit", "-L", min=1, help="Show at most this many."),
    everything: bool = All,
    csv_out: bool = CsvFlag,
    output: Path | None = Output,
) -> None:
    """Numbers the account owns (a main account sees its sub-accounts' too). ``--csv``:
    every one, as the API's CSV (columns: docs/api.md)."""
    if csv_out:
        with sink(output) as handle:
            remote.client.phone_numbers.export_numbers_csv(remote.account, handle, search=search)
        return
    pager = remote.client.phone_numbers.list_numbers(
        remote.account, search=search, per_page=min(limit, 100)
    )
    items: list[PhoneNumber] = _take(pager, limit, everything)
    emit(remote, [n.to_dict() for n in items], [_number_row(n) for n in items], NUMBER_COLUMNS)


@command(numbers_app, "show")
def numbers_show(remote: Remote, number: str = Number) -> None:
    """One owned number, every field (exit 1 with not_found if the account does not hold
    it)."""
    n = remote.client.phone_numbers.get_number(remote.account, number)
    rows = [[k, v] for k, v in n.to_dict().items()]
    emit(remote, n.to_dict(), rows, ["field", "value"])


@command(numbers_app, "release")
def numbers_release(
    remote: Remote,
    numbers: list[str] = typer.Argument(None, help="Numbers to release."),
    from_file: Path | None = FromFile,
    immediate: bool = typer.Option(False, "--immediate", help="No 24 h grace; cannot be undone."),
    yes: bool = Yes,
    dry_run: bool = DryRun,
    job: bool = AsJob,
    wait: bool = JobWait,
    confirm: str | None = typer.Option(
        None, "--confirm", help="With --job: the dry run's confirmation token."
    ),
) -> None:
    """Release numbers (pending_release for 24 h, cancellable, unless --immediate)."""
    wanted = bulk.canonical(bulk.read_numbers(numbers or [], from_file))
    require_yes(yes, dry_run, f"releasing {len(wanted)} number(s)")
    if job:
        submit_job(
            remote, "release", wanted, {"immediate": immediate}, dry_run=dry_run,
            confirm=confirm, wait=wait, interval=1.0,
        )  # fmt: skip
        return
    pn = remote.client.phone_numbers
    if dry_run:

        def check(number: str) -> dict[str, Any]:
            quote = pn.quote_number_release(remote.account, number, immediate=immediate or None)
            return {
                "e164": number,
                "would": quote.status,
                "release_fee": quote.release_fee,
                "cooldown_ends_at": quote.cooldown_ends_at,
            }

        bulk.report(remote, "dry run", bulk.run_each(remote, "checking", wanted, check), "would")
        return

    def release(number: str) -> dict[str, Any]:
        return pn.unrent_number(remote.account, number, immediate=immediate or None).to_dict()

    bulk.report(remote, "release", bulk.run_each(remote, "releasing", wanted, release), "status")


@command(numbers_app, "cancel-release")
def numbers_cancel_release(remote: Remote, number: str = Number) -> None:
    """Undo a release within 24 h (the release fee is refunded)."""
    r = remote.client.phone_numbers.cancel_number_release(remote.account, number)
    emit(
        remote,
        r.to_dict(),
        [[normalize(number), r.status, r.refund_amount, r.currency]],
        ["number", "status", "refund", "currency"],
    )


@command(numbers_app, "assign")
def numbers_assign(
    remote: Remote,
    number: str = Number,
    trunk: str | None = typer.Option(None, "--trunk", help="Trunk id (trunk_group_id)."),
    application: str | None = typer.Option(None, "--application", "--app", help="App id."),
) -> None:
    """Route a number to a trunk or an application."""
    pn = remote.client.phone_numbers
    if (trunk is None) == (application is None):
        err.print("error: give exactly one of --trunk or --application")
        raise typer.Exit(2)
    if trunk is not None:
        pn.assign_number_to_trunk(remote.account, number, trunk)
        data: dict[str, Any] = {"e164": normalize(number), "trunk_group_id": trunk}
    else:
        data = pn.attach_application(remote.account, number, application or "").to_dict()
    emit(
        remote,
        data,
        [[normalize(number), "assigned", trunk or application]],
        ["number", "result", "to"],
    )


@command(numbers_app, "unassign")
def numbers_unassign(
    remote: Remote,
    number: str = Number,
    trunk: bool = typer.Option(False, "--trunk", help="Take it off its trunk."),
    application: bool = typer.Option(False, "--application", "--app", help="Detach its app."),
) -> None:
    """Take a number off its trunk or application (billing continues)."""
    pn = remote.client.phone_numbers
    if trunk == application:
        err.print("error: give exactly one of --trunk or --application")
        raise typer.Exit(2)
    if trunk:
        pn.unassign_number_from_trunk(remote.account, number)
        data: dict[str, Any] = {"e164": normalize(number), "trunk_group_id": None}
    else:
        data = pn.detach_application(remote.account, number).to_dict()
    emit(remote, data, [[normalize(number), "unassigned"]], ["number", "result"])


@command(numbers_app, "move")
def numbers_move(
    remote: Remote,
    number: str = Number,
    to: str = typer.Option(..., "--to", help="SA_… sub-account, or 'parent'."),
    force: bool = typer.Option(False, "--force", help="Operator only: skip the cool-off."),
) -> None:
    """Move a DID to a sub-account, or back to the parent (15-day cool-off after a call)."""
    pn = remote.client.phone_numbers
    if to.lower() == "parent":
        pn.unassign_did_from_subaccount(remote.account, number, force=force or None)
    else:
        pn.assign_did_to_subaccount(remote.account, number, to)
    data = {"e164": normalize(number), "moved_to": to}
    emit(remote, data, [[data["e164"], "moved", to]], ["number", "result", "to"])


@command(numbers_app, "health")
def numbers_health(
    remote: Remote,
    number: str = Number,
    days: int | None = typer.Option(None, "--days", help="How many days back."),
    granularity: str | None = typer.Option(None, "--granularity", help="daily or hourly."),
) -> None:
    """Call statistics and reputation of a number."""
    h = remote.client.phone_numbers.get_number_health(remote.account, number, granularity, days)
    rows = [
        [k, v]
        for k, v in {
            "status": h.status,
            "usage_status": h.usage_status,
            "is_spam": h.is_spam,
            **h.summary,
        }.items()
    ]
    emit(remote, h.to_dict(), rows, ["field", "value"])


from didstore.cli.migrate import app as migrate_app  # noqa: E402


def register(app: typer.Typer) -> None:
    """Mount the resource commands and the global options on the root ``didstore`` app."""
    app.callback()(root_callback)
    app.add_typer(numbers_app, name="numbers")
    app.add_typer(trunks_app, name="trunks")
    app.add_typer(applications_app, name="applications")
    app.add_typer(subaccounts_app, name="subaccounts")
    app.add_typer(partner_app, name="partner")
    app.add_typer(migrate_app, name="migrate")
    add_lock_commands(numbers_app)
    app.add_typer(events_app, name="events")
    app.add_typer(webhooks_app, name="webhooks")
    add_reserve_command(numbers_app)
    app.add_typer(reservations_app, name="reservations")
    app.add_typer(bulk_app, name="bulk")
    for info in top.registered_commands:
        app.registered_commands.append(info)
