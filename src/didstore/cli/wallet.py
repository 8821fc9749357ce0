"""``didstore balance`` and ``didstore transactions`` over the SDK.

A wallet holds one balance per currency: ``balance`` shows them all (``GET …/balances``, a
didstore route) or, with ``--currency``, the ones named (``GET …/balance/{currency}``, as
Vobiz reads them).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import typer

from didstore.cli.exports import CsvFlag, Output, sink
from didstore.cli.remote import Remote, command, emit

top = typer.Typer()  # holder: its commands are mounted on the root app


@command(top, "balance")
def balance(
    remote: Remote,
    currencies: list[str] = typer.Option(
        [],
        "--currency",
        help="Only this currency (repeatable). Default: every currency of the wallet.",
    ),
) -> None:
    """The wallet's balance in every currency it holds (one row each).

    --json prints a list of balances; with exactly one --currency, that balance alone."""
    named = [c.upper() for c in currencies]
    if named:
        wallets = [remote.client.balance.get_balance(remote.account, code) for code in named]
    else:
        wallets = remote.client.balance.list_balances(remote.account)
    data = wallets[0].to_dict() if len(named) == 1 else [w.to_dict() for w in wallets]
    emit(
        remote,
        data,
        [[w.account_id, w.balance, w.available_balance, w.currency] for w in wallets],
        ["account", "balance", "available", "currency"],
    )


@command(top, "transactions")
def transactions(
    remote: Remote,
    limit: int = typer.Option(50, "--limit", "-L", min=1, help="Show at most this many."),
    everything: bool = typer.Option(False, "--all", help="Every row, across all pages."),
    type_: str | None = typer.Option(None, "--type", help="credit or debit."),
    reference_type: str | None = typer.Option(
        None,
        "--reference-type",
        help="e.g. did_purchase, did_rental, did_release, refund, payment.",
    ),
    from_date: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
    to_date: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD."),
    currency: str | None = typer.Option(
        None, "--currency", help="This currency's ledger (default: the account's)."
    ),
    csv_out: bool = CsvFlag,
    output: Path | None = Output,
) -> None:
    """The ledger of the paying wallet, newest first. ``--csv``: every row, as the API's
    CSV."""
    if csv_out:
        given = {
            "type": type_,
            "reference_type": reference_type,
            "from_date": from_date,
            "to_date": to_date,
            "currency": currency,
        }
        filters = {k: v for k, v in given.items() if v is not None}
        with sink(output) as handle:
            remote.client.transactions.export_csv(remote.account, handle, **filters)
        return
    pager = remote.client.transactions.list(
        remote.account,
        per_page=min(limit, 1000),
        type=type_,
        reference_type=reference_type,
        from_date=from_date,
        to_date=to_date,
        currency=currency,
    )
    rows = list(pager) if everything else list(itertools.islice(pager, limit))
    emit(
        remote,
        [t.to_dict() for t in rows],
        [
            [t.created_at, t.type, t.amount, t.currency, t.reference_type, t.description]
            for t in rows
        ],
        ["when", "type", "amount", "currency", "kind", "description"],
    )
