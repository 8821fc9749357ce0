"""Partner pages: customers with balances and number counts, and the four management reports
(renewal risk against balance, routing gaps, costs, KYC) as tables with CSV downloads. The
reports come from the same service as ``/api/v1/partner/reports/*`` and share its columns."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.api.params import digits_param
from didstore.console.web import (
    PER_PAGE,
    ConsoleRoute,
    csv_download,
    page_number,
    render,
    svc,
    viewer,
)
from didstore.domain.errors import InvalidInput, NotFound
from didstore.services.models import Account
from didstore.wire import numbers as numbers_wire
from didstore.wire import partner as partner_wire

router = APIRouter(prefix="/console/partner", route_class=ConsoleRoute, include_in_schema=False)
PARTNER = "partner"
REPORTS = ("renewals", "routing", "costs", "kyc")


@router.get("")
async def customers(request: Request) -> Response:
    me = await viewer(request, PARTNER)
    state = svc(request)
    search = request.query_params.get("search", "").strip()[:100]
    result = await state.partner.list_customers(
        me.customer, search=search or None, page=page_number(request), per_page=PER_PAGE
    )
    counts = await state.overview.paid_counts([c.account.id for c in result.items])
    ctx: dict[str, Any] = {
        "title": "Customers",
        "partner": me.customer,
        "balance": await state.partner.balance(me.customer),
        "result": result,
        "counts": counts,
        "search": search,
    }
    return render(request, "partner/customers.html", ctx, session=me.session)


@router.get("/numbers")
async def all_numbers(request: Request) -> Response:
    """Every number the partner's customers hold (read-only), optionally one customer's."""
    me = await viewer(request, PARTNER)
    state = svc(request)
    q = request.query_params
    raw = {k: q.get(k, "").strip()[:40] for k in ("customer", "search")}
    try:
        search = digits_param(raw["search"], "search")
    except InvalidInput as exc:
        failed = {"title": "Numbers", "raw": raw, "error": exc.message}
        return render(request, "partner/numbers.html", failed, 400, session=me.session)
    customer = (
        await state.partner.customer(me.customer, raw["customer"]) if raw["customer"] else None
    )
    result = await state.partner.numbers(
        me.customer, customer=customer, search=search, page=page_number(request), per_page=PER_PAGE
    )
    ctx: dict[str, Any] = {
        "title": "Numbers",
        "raw": {k: v for k, v in raw.items() if v},
        "result": result,
    }
    return render(request, "partner/numbers.html", ctx, session=me.session)


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(f"{name} must be a date such as 2026-03-01", field=name) from None


def _within(request: Request) -> int:
    raw = request.query_params.get("within_days", "30").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        raise InvalidInput("within_days must be a whole number of days from 1 to 366")
    return int(raw)


def _period(request: Request) -> tuple[date, date]:
    """``from``/``to`` (inclusive dates); default: this month so far."""
    today = svc(request).clock.now().date()
    q = request.query_params
    start = _day(q.get("from", "").strip(), "from") or today.replace(day=1)
    end = _day(q.get("to", "").strip(), "to") or today
    if end < start:
        raise InvalidInput("the period ends before it starts")
    return start, end


async def _report(
    request: Request, partner: Account, name: str
) -> tuple[list[dict[str, Any]], list[str], Any]:
    """The rows and columns of one report (the API's CSV shape), and its raw records."""
    reports = svc(request).reports
    if name == "renewals":
        risks = await reports.renewals(partner, _within(request))
        return partner_wire.renewal_rows(risks), partner_wire.RENEWAL_COLUMNS, risks
    if name == "costs":
        start, end = _period(request)
        lines = await reports.costs(
            partner,
            datetime.combine(start, time.min, tzinfo=UTC),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )
        return [partner_wire.cost_line(c) for c in lines], partner_wire.COST_COLUMNS, lines
    numbers = await (reports.routing if name == "routing" else reports.kyc)(partner)
    rows = [numbers_wire.owned_number(n) for n in numbers]
    return rows, partner_wire.NUMBER_COLUMNS, numbers


@router.get("/reports")
async def reports_page(request: Request) -> Response:
    me = await viewer(request, PARTNER)
    q = request.query_params
    try:
        within, (start, end) = _within(request), _period(request)
    except InvalidInput as exc:
        failed = {"title": "Reports", "error": exc.message, "query": dict(q)}
        return render(request, "partner/reports.html", failed, 400, session=me.session)
    tables = {name: await _report(request, me.customer, name) for name in REPORTS}
    ctx: dict[str, Any] = {
        "title": "Reports",
        "tables": tables,
        "within": within,
        "start": start,
        "end": end,
        "query": {"within_days": within, "from": start.isoformat(), "to": end.isoformat()},
    }
    return render(request, "partner/reports.html", ctx, session=me.session)


@router.get("/reports/{name}.csv")
async def report_csv(request: Request, name: str) -> Response:
    me = await viewer(request, PARTNER)
    if name not in REPORTS:
        raise NotFound(f"no report {name}")
    rows, columns, _ = await _report(request, me.customer, name)
    today = svc(request).clock.now().date().isoformat()
    return csv_download(rows, columns, f"didstore-{name}-{today}.csv")
