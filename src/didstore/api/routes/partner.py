"""Partner API (spec §5, entities §6): ``X-Auth-ID``/``X-Auth-Token`` with ``PA_`` credentials.
Number views are read-only (write methods answer 405); other partners' customers are 404."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.api.auth import Principal, authenticate
from didstore.api.deps import services
from didstore.api.params import digits_param, paging
from didstore.api.responses import JSON
from didstore.domain.errors import AccountMismatch, InvalidInput
from didstore.services.models import Account
from didstore.services.wallet import TransactionFilters
from didstore.wire import accounts as accounts_wire
from didstore.wire import format as format_wire
from didstore.wire import numbers as numbers_wire
from didstore.wire import partner as partner_wire

router = APIRouter(prefix="/api/v1/partner", tags=["partner"])

TRANSACTION_TYPES = {
    "recharge": {"type": "credit"},
    "debit": {"type": "debit"},
    "refund": {"reference_type": "refund"},
    "transfer": {"reference_type": "transfer"},
    "adjustment": {"reference_type": "manual_adjustment"},
}


async def _partner(request: Request) -> tuple[Principal, Account]:
    principal = await authenticate(request)
    if principal.account is None or principal.account.kind != "partner":
        raise AccountMismatch("Access denied: partner credentials required")
    return principal, principal.account


def _day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        start = datetime.combine(date.fromisoformat(value[:10]), time.min, tzinfo=UTC)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date such as 2026-03-01", field=name) from exc
    return start + timedelta(days=1) if end else start


class TransferBody(BaseModel):
    amount: Any = None
    currency: Any = None
    description: Any = None


class CustomerBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Any = None
    email: Any = None
    phone: Any = None
    password: Any = None
    country: Any = None
    company: Any = None


@router.get("/me", summary="The partner's profile")
async def me(request: Request) -> Response:
    _, partner = await _partner(request)
    svc = services(request).partner
    return JSON(
        partner_wire.profile(partner, await svc.balance(partner), await svc.customer_count(partner))
    )


@router.get("/accounts", summary="List customer accounts")
async def list_accounts(
    request: Request,
    page: int | None = None,
    per_page: int | None = None,
    search: str | None = None,
) -> Response:
    _, partner = await _partner(request)
    paged = paging(page, per_page, default=20, maximum=100)
    result = await services(request).partner.list_customers(
        partner, search=search, page=paged.page, per_page=paged.per_page
    )
    return JSON(
        {
            "accounts": [
                partner_wire.customer(c.account, c.balance_minor, partner) for c in result.items
            ],
            "total": result.total,
            "page": result.page,
            "size": result.per_page,
        }
    )


@router.post("/accounts", status_code=201, summary="Create a customer account")
async def create_account(request: Request, body: CustomerBody) -> Response:
    principal, partner = await _partner(request)
    creds = await services(request).partner.create_customer(
        principal.actor, partner, body.model_dump()
    )
    return JSON(partner_wire.created_customer(creds.account, creds.auth_token), 201)


@router.post("/accounts/{customer_id}/transfer-balance", summary="Move money to a customer")
async def transfer_balance(request: Request, customer_id: str, body: TransferBody) -> Response:
    principal, partner = await _partner(request)
    result = await services(request).partner.transfer(
        principal.actor,
        partner,
        customer_id,
        amount=body.amount,
        currency_code=body.currency,
        description=body.description,
    )
    return JSON(partner_wire.transfer(result))


@router.get("/accounts/{customer_id}/transactions", summary="A customer's ledger")
async def customer_transactions(
    request: Request,
    customer_id: str,
    from_date: str | None = None,
    to_date: str | None = None,
    transaction_type: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    _, partner = await _partner(request)
    state = services(request)
    customer = await state.partner.customer(partner, customer_id)
    paged = paging(page, per_page, default=20, maximum=100)
    extra: dict[str, str] = {}
    if transaction_type:
        if transaction_type not in TRANSACTION_TYPES:
            raise InvalidInput(
                f"transaction_type must be one of {', '.join(TRANSACTION_TYPES)}",
                field="transaction_type",
            )
        extra = TRANSACTION_TYPES[transaction_type]
    filters = TransactionFilters(
        from_date=_day(from_date, "from_date"), to_date=_day(to_date, "to_date", end=True), **extra
    )
    result, summary = await state.wallet.transactions(customer, filters, paged.page, paged.per_page)
    return JSON(
        {
            "transactions": [partner_wire.customer_transaction(t) for t in result.items],
            "summary": accounts_wire.summary(
                summary, customer.currency
            ),  # same shape as the account ledger
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "total_pages": math.ceil(result.total / result.per_page) if result.total else 0,
            "account_auth_id": customer.auth_id,
        }
    )


async def _numbers_page(
    request: Request,
    customer_id: str | None,
    page: int | None,
    per_page: int | None,
    search: str | None,
) -> dict[str, Any]:
    _, partner = await _partner(request)
    state = services(request)
    customer = await state.partner.customer(partner, customer_id) if customer_id else None
    paged = paging(page, per_page, default=20, maximum=100)
    result = await state.partner.numbers(
        partner,
        customer=customer,
        search=digits_param(search, "search"),
        page=paged.page,
        per_page=paged.per_page,
    )
    return numbers_wire.page(
        [numbers_wire.owned_number(n) for n in result.items],
        result.page,
        result.per_page,
        result.total,
    )


@router.get("/accounts/{customer_id}/numbers", summary="A customer's numbers (read-only)")
async def customer_numbers(
    request: Request,
    customer_id: str,
    page: int | None = None,
    per_page: int | None = None,
    search: str | None = None,
) -> Response:
    body = await _numbers_page(request, customer_id, page, per_page, search)
    return JSON({**body, "account_auth_id": customer_id})


@router.get("/numbers", summary="Every number under the partner (read-only)")
async def all_numbers(
    request: Request,
    page: int | None = None,
    per_page: int | None = None,
    search: str | None = None,
) -> Response:
    return JSON(await _numbers_page(request, None, page, per_page, search))


# -- reports ---------------------------------------------------------------------------------
def _wants_csv(request: Request) -> bool:
    return csv_answer.wants_csv(request)


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> Response:
    return csv_answer.whole(columns, rows, "didstore-report.csv")


@router.get("/reports/renewals/kept", summary="Renewal reports kept by the weekly job")
async def report_renewals_kept(request: Request) -> Response:
    _, partner = await _partner(request)
    kept = await services(request).reports.kept(partner, "renewals")
    return JSON(
        {"reports": [{**k, "generated_at": format_wire.ts(k["generated_at"])} for k in kept]}
    )


@router.get("/reports/renewals", summary="Renewals the customer's balance cannot cover")
async def report_renewals(request: Request, within_days: int = 14) -> Response:
    _, partner = await _partner(request)
    risks = await services(request).reports.renewals(partner, within_days)
    if _wants_csv(request):
        return _csv(partner_wire.renewal_rows(risks), partner_wire.RENEWAL_COLUMNS)
    accounts_ = [partner_wire.renewal_risk(r) for r in risks]
    return JSON({"within_days": within_days, "accounts": accounts_})


def _number_rows(items: list[Any]) -> list[dict[str, Any]]:
    return [numbers_wire.owned_number(n) for n in items]


_NUMBER_CSV = partner_wire.NUMBER_COLUMNS


async def _number_report(request: Request, kind: str) -> Response:
    """A number-list report (``routing`` or ``kyc``) as JSON, or CSV when asked for."""
    _, partner = await _partner(request)
    reports = services(request).reports
    report = reports.routing if kind == "routing" else reports.kyc
    rows = _number_rows(await report(partner))
    if _wants_csv(request):
        return _csv(rows, _NUMBER_CSV)
    return JSON({"numbers": rows, "total": len(rows)})


@router.get("/reports/routing", summary="Active numbers with nowhere to route")
async def report_routing(request: Request) -> Response:
    return await _number_report(request, "routing")


@router.get("/reports/kyc", summary="Numbers restricted until Aadhaar KYC")
async def report_kyc(request: Request) -> Response:
    return await _number_report(request, "kyc")


@router.get("/reports/costs", summary="Number costs per customer, from the ledger")
async def report_costs(request: Request) -> Response:
    """``from`` and ``to`` (YYYY-MM-DD, inclusive; default: this month so far). Read raw
    because ``from`` is a Python keyword."""
    _, partner = await _partner(request)
    query = request.query_params
    today = services(request).clock.now()
    start = _day(query.get("from") or query.get("from_date"), "from") or datetime.combine(
        today.date().replace(day=1), time.min, tzinfo=UTC
    )
    end = _day(query.get("to") or query.get("to_date"), "to", end=True) or datetime.combine(
        today.date() + timedelta(days=1), time.min, tzinfo=UTC
    )
    rows = [
        partner_wire.cost_line(c)
        for c in await services(request).reports.costs(partner, start, end)
    ]
    if _wants_csv(request):
        return _csv(rows, partner_wire.COST_COLUMNS)
    return JSON({"from": format_wire.ts(start), "to": format_wire.ts(end), "customers": rows})
