"""Money pages: a customer's transactions (with a streamed CSV download) and a partner's balance
transfer to a customer (a confirmation page showing both balances after, then the same
``partner.transfer`` the API calls)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.console.web import (
    PER_PAGE,
    ConsoleRoute,
    form,
    money,
    page_number,
    redirect,
    render,
    svc,
    text,
    viewer,
)
from didstore.domain.errors import InvalidInput
from didstore.domain.money import currency, to_minor
from didstore.services.models import Account
from didstore.services.wallet import TransactionFilters
from didstore.wire import accounts as accounts_wire
from didstore.wire import csv as wire_csv

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


def _day(value: str, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        start = datetime.combine(date.fromisoformat(value[:10]), time.min, tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{name} must be a date such as 2026-03-01") from None
    return start + timedelta(days=1) if end else start


def _filters(request: Request, account: Account) -> tuple[TransactionFilters, dict[str, str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip()[:20] for k in ("currency", "from", "to", "type")}
    if raw["type"] not in ("", "credit", "debit"):
        raise InvalidInput("type must be credit or debit")
    filters = TransactionFilters(
        from_date=_day(raw["from"], "from"),
        to_date=_day(raw["to"], "to", end=True),
        type=raw["type"] or None,
        currency=currency(raw["currency"]).code if raw["currency"] else account.currency,
    )
    return filters, {k: v for k, v in raw.items() if v}


@router.get("/transactions")
async def transactions(request: Request) -> Response:
    me = await viewer(request, "customer")
    try:
        filters, raw = _filters(request, me.customer)
    except InvalidInput as exc:
        failed = {"title": "Transactions", "raw": dict(request.query_params), "error": exc.message}
        return render(request, "customer/transactions.html", failed, 400, session=me.session)
    result, summary = await svc(request).wallet.transactions(
        me.customer, filters, page_number(request), PER_PAGE
    )
    ctx: dict[str, Any] = {
        "title": "Transactions",
        "raw": raw,
        "result": result,
        "summary": summary,
        "currency": filters.currency,
    }
    return render(request, "customer/transactions.html", ctx, session=me.session)


@router.get("/transactions.csv")
async def transactions_csv(request: Request) -> Response:
    """The whole listing for the page's filters, as ``GET …/transactions`` with ``Accept:
    text/csv`` (the same columns and writer, streamed)."""
    me = await viewer(request, "customer")
    filters, _ = _filters(request, me.customer)
    batches = svc(request).exports.transactions(me.customer, filters)
    return await csv_answer.streamed(
        wire_csv.TRANSACTION_COLUMNS,
        wire_csv.mapped(batches, accounts_wire.transaction),
        f"didstore-transactions-{filters.currency}.csv",
    )


# -- partner balance transfer ------------------------------------------------------------------
@router.get("/partner/transfer")
async def transfer_confirm(request: Request) -> Response:
    me = await viewer(request, "partner")
    state = svc(request)
    q = request.query_params
    customer = await state.partner.customer(me.customer, q.get("customer", "").strip()[:40])
    ctx: dict[str, Any] = {"title": "Transfer", "customer": customer, "amount": q.get("amount", "")}
    if q.get("amount"):
        cur = currency(me.customer.currency)
        minor = to_minor(q.get("amount", "").strip()[:30], cur)
        if minor <= 0:
            raise InvalidInput("the amount must be more than zero")
        ours = await state.partner.balance(me.customer)
        theirs = await state.wallet.balances(customer)
        now = next((w.balance_minor for w in theirs if w.currency == cur.code), 0)
        ctx.update(
            minor=minor,
            currency=cur.code,
            partner_after=ours - minor,
            customer_after=now + minor,
            partner_balance=ours,
        )
    return render(request, "partner/transfer.html", ctx, session=me.session)


@router.post("/partner/transfer")
async def transfer(request: Request) -> Response:
    me = await viewer(request, "partner")
    data = await form(request, me.session)
    done = await svc(request).partner.transfer(
        me.actor,
        me.customer,
        text(data, "customer", 40),
        amount=text(data, "amount", 30),
        currency_code=me.customer.currency,
        description=text(data, "description") or None,
    )
    message = (
        f"Moved {money(done.amount_minor, done.currency)} to {done.customer.auth_id}; "
        f"your balance is now {money(done.partner_balance_minor, done.currency)}."
    )
    return redirect(request, "/console/partner", message)
