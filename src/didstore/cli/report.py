"""``didstore report …``: the partner Number Management checks from a terminal (operator)."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import typer
from rich.table import Table

from didstore.cli.common import DatabaseUrl, JsonFlag, emit_json, fail, in_process, out
from didstore.domain.errors import DomainError, InvalidInput
from didstore.services.models import Account, Number

app = typer.Typer(
    help="Partner reports: renewals at risk, unrouted numbers, costs, KYC.", no_args_is_help=True
)
PartnerOpt = typer.Option(..., "--partner", help="The partner (PA_...).")
CsvFlag = typer.Option(False, "--csv", help="Print CSV.")


async def _partner(state: Any, auth_id: str) -> Account:
    partner: Account = await state.accounts.get(auth_id)
    if partner.kind != "partner":
        raise InvalidInput(f"{auth_id} is not a partner")
    return partner


def _emit(
    rows: list[dict[str, Any]], columns: list[str], json_out: bool, csv_out: bool, title: str
) -> None:
    if json_out:
        emit_json(rows)
    elif csv_out or not out.is_terminal:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table(title=title)
        for c in columns:
            table.add_column(c)
        for r in rows:
            table.add_row(*[str(r.get(c, "")) for c in columns])
        out.print(table)


def _number_columns() -> list[str]:
    from didstore.wire import partner as partner_wire

    return partner_wire.NUMBER_COLUMNS


def _numbers(items: list[Number]) -> list[dict[str, Any]]:
    from didstore.wire import numbers as numbers_wire

    return [numbers_wire.owned_number(n) for n in items]


def _number_report(kind: str, partner: str, database_url: str | None) -> list[Number]:
    """The numbers of a number-list report (``routing`` or ``kyc``), run in-process."""

    async def work(state: Any) -> list[Number]:
        report = state.reports.routing if kind == "routing" else state.reports.kyc
        found: list[Number] = await report(await _partner(state, partner))
        return found

    try:
        return in_process(database_url, work)
    except DomainError as exc:
        raise fail(exc) from exc


@app.command("renewals")
def renewals(
    partner: str = PartnerOpt,
    within_days: int = typer.Option(14, "--within-days"),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
    csv_out: bool = CsvFlag,
) -> None:
    """Numbers renewing soon whose account cannot cover every rental due."""
    from didstore.wire import partner as partner_wire

    async def work(state: Any) -> Any:
        return await state.reports.renewals(await _partner(state, partner), within_days)

    try:
        risks = in_process(database_url, work)
    except DomainError as exc:
        raise fail(exc) from exc
    _emit(
        partner_wire.renewal_rows(risks),
        partner_wire.RENEWAL_COLUMNS,
        json_out,
        csv_out,
        "Renewals at risk",
    )


@app.command("routing")
def routing(
    partner: str = PartnerOpt,
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
    csv_out: bool = CsvFlag,
) -> None:
    """Active numbers with neither trunk nor application."""
    items = _number_report("routing", partner, database_url)
    _emit(_numbers(items), _number_columns(), json_out, csv_out, "Numbers with nowhere to route")


@app.command("kyc")
def kyc(
    partner: str = PartnerOpt,
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
    csv_out: bool = CsvFlag,
) -> None:
    """Numbers restricted until Aadhaar KYC completes."""
    items = _number_report("kyc", partner, database_url)
    _emit(_numbers(items), _number_columns(), json_out, csv_out, "Restricted by Aadhaar KYC")


@app.command("costs")
def costs(
    partner: str = PartnerOpt,
    start: str = typer.Option(..., "--from", help="YYYY-MM-DD (inclusive)"),
    end: str = typer.Option(..., "--to", help="YYYY-MM-DD (inclusive)"),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
    csv_out: bool = CsvFlag,
) -> None:
    """Per customer: what the ledger charged for numbers in the period."""
    from didstore.wire import partner as partner_wire

    try:
        lo = datetime.combine(date.fromisoformat(start), time.min, tzinfo=UTC)
        hi = datetime.combine(date.fromisoformat(end), time.min, tzinfo=UTC) + timedelta(days=1)

        async def work(state: Any) -> Any:
            return await state.reports.costs(await _partner(state, partner), lo, hi)

        lines = in_process(database_url, work)
    except ValueError as exc:
        raise fail(InvalidInput(f"dates must look like 2026-03-01 ({exc})")) from exc
    except DomainError as exc:
        raise fail(exc) from exc
    _emit(
        [partner_wire.cost_line(c) for c in lines],
        partner_wire.COST_COLUMNS,
        json_out,
        csv_out,
        "Number costs",
    )
