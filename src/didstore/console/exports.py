"""CSV downloads of the console's lists (ADR 0024): a customer's numbers, the operator's
inventory and audit log. Each is the API's CSV for the same filters (the same service
batches and the same writer, ``api/csv.py``), streamed whatever the list's length."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.api.params import digits_param
from didstore.console.operator import OPERATOR, audit_filters
from didstore.console.web import ConsoleRoute, svc, viewer
from didstore.services.exports import StockFilters
from didstore.wire import csv as wire_csv
from didstore.wire import format as format_wire
from didstore.wire import numbers as numbers_wire

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/numbers.csv")
async def numbers_csv(request: Request) -> Response:
    """Every number the customer holds (a main account's sub-accounts' included), as
    ``GET …/numbers`` with ``Accept: text/csv``."""
    me = await viewer(request, "customer")
    search = digits_param(request.query_params.get("search", "").strip()[:20], "search")
    batches = svc(request).exports.owned_numbers(me.customer, search=search)
    return await csv_answer.streamed(
        wire_csv.OWNED_NUMBER_COLUMNS,
        wire_csv.mapped(batches, numbers_wire.owned_number),
        f"didstore-numbers-{me.customer.auth_id}.csv",
    )


@router.get("/operator/inventory.csv")
async def inventory_csv(request: Request) -> Response:
    """Every number in the platform, any state, as ``GET /api/v1/admin/inventory``."""
    await viewer(request, OPERATOR)
    q = request.query_params
    filters = StockFilters(state=q.get("state") or None, country=q.get("country") or None)
    return await csv_answer.streamed(
        wire_csv.INVENTORY_COLUMNS,
        wire_csv.mapped(svc(request).exports.inventory(filters), numbers_wire.stock_number),
        "didstore-inventory.csv",
    )


@router.get("/operator/audit.csv")
async def audit_csv(request: Request) -> Response:
    """The audit log with the page's filters, as ``GET /api/v1/admin/audit``."""
    await viewer(request, OPERATOR)
    filters, _ = audit_filters(request)
    return await csv_answer.streamed(
        wire_csv.AUDIT_COLUMNS,
        wire_csv.mapped(svc(request).exports.audit(filters), _times),
        "didstore-audit.csv",
    )


def _times(entry: dict[str, Any]) -> dict[str, Any]:
    """The audit row as the API's ``GET /api/v1/admin/audit`` writes it (RFC 3339 times)."""
    return {k: format_wire.ts(v) if isinstance(v, datetime) else v for k, v in entry.items()}
