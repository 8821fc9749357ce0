"""``didstore partner …`` over the SDK: what partner (``PA_…``) credentials may read: their
customers, the numbers under them, and the management reports. Read-only: nothing here
changes anything."""

from __future__ import annotations

import itertools
from enum import StrEnum
from typing import Any

import typer

from didstore.cli.remote import Remote, command, emit

partner_app = typer.Typer(
    help="Partner (reseller) views, read-only: customers, numbers, reports.",
    no_args_is_help=True,
)

Limit = typer.Option(50, "--limit", "-L", min=1, help="Show at most this many.")


class ReportName(StrEnum):
    renewals = "renewals"
    routing = "routing"
    costs = "costs"
    kyc = "kyc"


@command(partner_app, "customers")
def partner_customers(
    remote: Remote,
    search: str | None = typer.Option(None, "--search", "-s", help="Part of a name or email."),
    limit: int = Limit,
) -> None:
    """The partner's customer accounts, with their balances."""
    pager = remote.client.partner.customers.list(search=search, per_page=min(limit, 100))
    items = list(itertools.islice(pager, limit))
    emit(
        remote,
        [c.to_dict() for c in items],
        [[c.auth_id, c.name, c.email, c.cash_credits, c.is_active] for c in items],
        ["auth_id", "name", "email", "balance", "active"],
    )


@command(partner_app, "numbers")
def partner_numbers(
    remote: Remote,
    customer: str | None = typer.Option(
        None, "--customer", help="One customer (MA_…); default: every number under the partner."
    ),
    search: str | None = typer.Option(None, "--search", "-s", help="Part of the number."),
    limit: int = Limit,
) -> None:
    """Numbers held by the partner's customers."""
    pager = remote.client.partner.numbers.list(customer, search=search, per_page=min(limit, 100))
    items = list(itertools.islice(pager, limit))
    emit(
        remote,
        [n.to_dict() for n in items],
        [[n.e164, n.status, n.account_id, n.monthly_fee, n.currency] for n in items],
        ["number", "status", "account", "monthly", "currency"],
    )


@command(partner_app, "reports")
def partner_reports(
    remote: Remote,
    name: ReportName = typer.Argument(..., help="renewals, routing, costs or kyc."),
    within_days: int | None = typer.Option(
        None, "--within-days", help="renewals: the window, in days (default 14)."
    ),
    from_date: str | None = typer.Option(
        None, "--from", help="costs: first day, YYYY-MM-DD (default: 1st of this month)."
    ),
    to_date: str | None = typer.Option(
        None, "--to", help="costs: last day, YYYY-MM-DD (default: today)."
    ),
) -> None:
    """A management report: renewals the customers cannot pay, numbers with nowhere to
    route, costs per customer, or numbers waiting for KYC."""
    reports = remote.client.partner.reports
    if name is ReportName.renewals:
        report = reports.renewals(within_days)
    elif name is ReportName.costs:
        report = reports.costs(from_date, to_date)
    elif name is ReportName.routing:
        report = reports.routing()
    else:
        report = reports.kyc()
    columns = list(report.items[0]) if report.items else ["(no rows)"]
    rows: list[list[Any]] = [[item.get(c) for c in columns] for item in report.items]
    emit(remote, report.to_dict(), rows, columns)
