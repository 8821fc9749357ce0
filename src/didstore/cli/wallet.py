"""``didstore balance`` and ``didstore transactions`` over the SDK.

A wallet holds one balance per currency, and the API reads one currency at a time
(``GET …/balance/{currency}``); it has no route that lists an account's currencies. So
``balance`` asks for every currency it knows the account uses: the account's own (from
``auth/me``), the currencies of the numbers it holds, and each ``--currency`` given. A
currency with no wallet is left out, unless it was named with ``--currency``.
"""

from __future__ import annotations

import contextlib
import itertools

import typer

from didstore.cli.remote import Remote, command, emit, err
from didstore.client import APIError, Balance, NotFoundError

top = typer.Typer()  # holder: its commands are mounted on the root app


def _currencies(remote: Remote) -> list[str]:
    """The account's currency, then those of its numbers (sorted), without repeats."""
    found: list[str] = []
    with contextlib.suppress(APIError):  # the operator token has no profile of its own
        found.append((remote.client.auth.me().currency or "").upper())
    pager = remote.client.phone_numbers.list_numbers(remote.account, per_page=100)
    found.extend(sorted({n.currency.upper() for n in pager if n.currency}))
    return list(dict.fromkeys(c for c in found if c))


@command(top, "balance")
def balance(
    remote: Remote,
    currencies: list[str] = typer.Option(
        [],
        "--currency",
        help="Only this currency (repeatable). Default: every currency the account uses.",
    ),
) -> None:
    """The wallet's balance in every currency the account uses (one row each).

    --json prints a list of balances; with exactly one --currency, that balance alone."""
    named = [c.upper() for c in currencies]
    wanted = named or _currencies(remote)
    if not wanted:
        err.print("error: give --currency (no currency of this account could be found)")
        raise typer.Exit(2)
    wallets: list[Balance] = []
    for code in wanted:
        try:
            wallets.append(remote.client.balance.get_balance(remote.account, code))
        except NotFoundError:
            if named:  # asked for by name: say there is none
                raise
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
) -> None:
    """The ledger of the paying wallet, newest first."""
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
