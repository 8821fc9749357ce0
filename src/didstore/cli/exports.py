"""CSV output for the list commands (ADR 0024) and the operator's lists that run in process:
``didstore inventory list`` and ``didstore audit list``.

``--csv`` writes every row of the list (paging options such as ``--limit`` are ignored) as
the API's CSV, to stdout or to ``--output FILE``, streamed: the resource commands read the
API's ``Accept: text/csv`` answer through the SDK, the operator commands read the database
in batches through the same service and writer as the API, so the files are the same.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import typer
from rich.table import Table

from didstore.cli.common import DatabaseUrl, JsonFlag, emit_json, fail, in_process, out
from didstore.domain.errors import DomainError

if TYPE_CHECKING:
    from didstore.bootstrap import Services

CsvFlag = typer.Option(
    False, "--csv", help="Every row as CSV (streamed; --limit and --all are ignored)."
)
Output = typer.Option(
    None, "--output", "-o", dir_okay=False, help="Write the CSV to this file (default: stdout)."
)

audit_app = typer.Typer(help="The audit log (operator).", no_args_is_help=True)


@contextmanager
def sink(path: Path | None) -> Iterator[BinaryIO]:
    """The binary stream CSV goes to: ``path`` (created or replaced), or stdout."""
    if path is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with path.open("wb") as handle:
        yield handle


def _write_csv(database_url: str | None, output: Path | None, kind: str, filters: Any) -> None:
    """Stream the operator list ``kind`` (``inventory`` or ``audit``) as CSV."""
    from didstore.wire import csv as wire_csv
    from didstore.wire import numbers as numbers_wire

    with sink(output) as handle:

        async def work(state: Services) -> None:
            batches: AsyncIterator[Any]
            if kind == "inventory":
                stock = state.exports.inventory(filters)
                batches = wire_csv.mapped(stock, numbers_wire.stock_number)
                columns = wire_csv.INVENTORY_COLUMNS
            else:
                batches = state.exports.audit(filters)
                columns = wire_csv.AUDIT_COLUMNS
            async for chunk in wire_csv.stream(columns, batches):
                handle.write(chunk)

        in_process(database_url, work)


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise fail(exc) from exc


def _table(rows: list[list[Any]], columns: list[str]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


def inventory_list(
    state_: str | None = typer.Option(None, "--state", help="available, active, quarantined..."),
    country: str | None = typer.Option(None, "--country", "-c", help="ISO-2, e.g. IN."),
    limit: int = typer.Option(50, "--limit", "-L", min=1, help="Show at most this many."),
    csv_out: bool = CsvFlag,
    output: Path | None = Output,
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Every number in the platform, any state, in E.164 order (the API's
    ``GET /api/v1/admin/inventory``)."""
    from didstore.services.exports import StockFilters
    from didstore.services.models import Number
    from didstore.wire import numbers as numbers_wire

    with _refusals():
        filters = StockFilters(state=state_ or None, country=country or None)
        if csv_out:
            _write_csv(database_url, output, "inventory", filters)
            return

        async def work(state: Services) -> list[Number]:
            return await state.exports.inventory_page(filters, "", limit)

        items = [numbers_wire.stock_number(n) for n in in_process(database_url, work)]
    if json_out:
        emit_json(items)
        return
    keys = ["e164", "state", "account_id", "country", "monthly_fee", "currency"]
    _table([[n[k] for k in keys] for n in items], keys)


def _day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        start = datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise typer.BadParameter(f"{name} must be a date such as 2026-03-01") from None
    return start + timedelta(days=1) if end else start


@audit_app.command("list")
def audit_list(
    e164: str | None = typer.Option(None, "--number", help="Only rows naming this number."),
    account: str | None = typer.Option(None, "--account", help="Only this account (MA_/SA_)."),
    action: str | None = typer.Option(None, "--action", help="Only this action, e.g. job.run."),
    from_date: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
    to_date: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (inclusive)."),
    limit: int = typer.Option(50, "--limit", "-L", min=1, help="Show at most this many."),
    csv_out: bool = CsvFlag,
    output: Path | None = Output,
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """The audit log, newest first (the API's ``GET /api/v1/admin/audit``)."""
    from didstore.domain.e164 import from_body
    from didstore.services.audit_query import AuditFilters
    from didstore.wire.format import ts

    with _refusals():
        filters = AuditFilters(
            e164=from_body(e164).value if e164 else None,
            account_id=account or None,
            from_at=_day(from_date, "--from"),
            to_at=_day(to_date, "--to", end=True),
            action=action or None,
        )
        if csv_out:
            _write_csv(database_url, output, "audit", filters)
            return

        async def work(state: Services) -> list[dict[str, Any]]:
            return list((await state.audit.list(filters, 1, limit)).items)

        items = [
            {k: ts(v) if isinstance(v, datetime) else v for k, v in o.items()}
            for o in in_process(database_url, work)
        ]
    if json_out:
        emit_json(items)
        return
    keys = ["id", "at", "actor_id", "account_id", "action", "e164"]
    _table([[o[k] for k in keys] for o in items], keys)


def register(inventory_app: typer.Typer, app: typer.Typer) -> None:
    inventory_app.command("list")(inventory_list)
    app.add_typer(audit_app, name="audit")
