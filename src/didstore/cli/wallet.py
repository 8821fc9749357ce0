"""``didstore balance`` and ``didstore transactions`` over the SDK."""

from __future__ import annotations

import itertools

import typer

from didstore.cli.remote import Remote, command, emit, err
from didstore.client import APIError

top = typer.Typer()  # holder: its commands are mounted on the root app


@command(top, "balance")
def balance(
    remote: Remote,
    currency: str | None = typer.Option(
        None, "--currency", help="Default: the account's currency (from auth/me)."
    ),
) -> None:
    """The wallet balance."""
    code = currency
    if code is None:
        try:
            code = remote.client.auth.me().currency
        except APIError:  # the operator token has no profile of its own
            code = None
    if not code:
        err.print("error: give --currency (the account's currency could not be looked up)")
        raise typer.Exit(2)
    b = remote.client.balance.get_balance(remote.account, code)
    emit(
        remote,
        b.to_dict(),
        [[b.account_id, b.balance, b.available_balance, b.currency]],
        ["account", "balance", "available", "currency"],
    )


@command(top, "transactions")
def transactions(
    remote: Remote,
    limit: int = typer.Option(50, "--limit", "-L", min=1),
    everything: bool = typer.Option(False, "--all", help="Every row, across all pages."),
    type_: str | None = typer.Option(None, "--type", help="credit or debit"),
    reference_type: str | None = typer.Option(None, "--reference-type"),
    from_date: str | None = typer.Option(None, "--from", help="YYYY-MM-DD"),
    to_date: str | None = typer.Option(None, "--to", help="YYYY-MM-DD"),
) -> None:
    """The ledger of the paying wallet, newest first."""
    pager = remote.client.transactions.list(
        remote.account,
        per_page=min(limit, 1000),
        type=type_,
        reference_type=reference_type,
        from_date=from_date,
        to_date=to_date,
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
