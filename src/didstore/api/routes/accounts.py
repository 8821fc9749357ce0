"""Account-side routes: balance, transactions, auth/me, sub-accounts (entities spec §3-5)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.api.auth import Scope, account_scope, authenticate
from didstore.api.deps import services
from didstore.api.params import paging
from didstore.api.responses import JSON, no_content
from didstore.domain.errors import Forbidden, InvalidInput
from didstore.domain.money import currency as currency_of
from didstore.services.wallet import TransactionFilters
from didstore.wire import accounts as accounts_wire
from didstore.wire import csv as wire_csv

router = APIRouter(tags=["accounts"])


@router.get("/api/v1/Account/{auth_id}/balance/{currency_code}", summary="Wallet balance")
async def get_balance(request: Request, auth_id: str, currency_code: str) -> Response:
    scope = await account_scope(request, auth_id)
    return JSON(
        accounts_wire.balance(await services(request).wallet.balance(scope.account, currency_code))
    )


@router.get("/api/v1/Account/{auth_id}/balances", summary="Every wallet balance (didstore)")
async def list_balances(request: Request, auth_id: str) -> Response:
    """**didstore only**: the paying wallet's balance in every currency it holds, in currency
    order, each in the same shape as ``GET …/balance/{currency}`` (Vobiz reads one currency
    at a time and has no route that lists them)."""
    scope = await account_scope(request, auth_id)
    wallets = await services(request).wallet.balances(scope.account)
    return JSON({"balances": [accounts_wire.balance(w) for w in wallets]})


def _day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date such as 2026-03-01", field=name) from exc
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _currency(value: str | None) -> str | None:
    return currency_of(value).code if value else None


@router.get("/api/v1/Account/{auth_id}/transactions", summary="Ledger of the paying wallet")
async def list_transactions(
    request: Request,
    auth_id: str,
    page: int | None = None,
    per_page: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
    type: str | None = None,
    status: str | None = None,
    currency: str | None = None,
    reference_type: str | None = None,
    description: str | None = None,
    reference: str | None = None,
    transaction_id: str | None = None,
) -> Response:
    scope = await account_scope(request, auth_id)
    if per_page is not None and per_page > 1000:
        per_page = 50  # documented Vobiz behaviour: above the maximum falls back to 50
    paged = paging(page, per_page, default=50, maximum=1000, limit=limit, offset=offset)
    if type not in (None, "", "credit", "debit"):
        raise InvalidInput("type must be credit or debit", field="type")
    filters = TransactionFilters(
        from_date=_day(from_date, "from_date"),
        to_date=_day(to_date, "to_date", end=True),
        type=type or None,
        currency=_currency(currency),
        reference_type=reference_type or None,
        reference=reference or None,
        transaction_id=transaction_id or None,
        description=description or None,
        status=status or None,
    )
    if csv_answer.wants_csv(request):  # the whole listing, newest first (ADR 0024)
        batches = services(request).exports.transactions(scope.account, filters)
        return await csv_answer.streamed(
            wire_csv.TRANSACTION_COLUMNS,
            csv_answer.mapped(batches, accounts_wire.transaction),
            f"didstore-transactions-{scope.account.auth_id}.csv",
        )
    result, summary = await services(request).wallet.transactions(
        scope.account, filters, paged.page, paged.per_page
    )
    return JSON(
        {
            "transactions": [accounts_wire.transaction(t) for t in result.items],
            "summary": accounts_wire.summary(summary, filters.currency or scope.account.currency),
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "total_pages": math.ceil(result.total / result.per_page) if result.total else 0,
        }
    )


@router.get("/api/v1/auth/me", summary="The calling account's profile")
async def auth_me(request: Request) -> Response:
    principal = await authenticate(request)
    if principal.account is None:
        raise InvalidInput("the operator token has no account profile; use X-Auth headers")
    return JSON(
        accounts_wire.auth_me(principal.account),
        headers=accounts_wire.plivo_header(principal.account),
    )


# -- sub-accounts ----------------------------------------------------------------------------
class SubAccountBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Any = None
    email: Any = None
    password: Any = None
    kyc_mode: Any = None
    business_type: Any = None
    enabled: Any = None


async def _main_scope(request: Request, auth_id: str) -> Scope:
    scope = await account_scope(request, auth_id)
    if scope.account.kind != "main":
        raise Forbidden("only a main account manages sub-accounts")
    return scope


SUB = "/api/v1/accounts/{auth_id}/sub-accounts"


@router.post(SUB, summary="Create a sub-account", status_code=201)
async def create_sub_account(request: Request, auth_id: str, body: SubAccountBody) -> Response:
    scope = await _main_scope(request, auth_id)
    creds = await services(request).accounts.create_sub_account(
        scope.actor,
        scope.account,
        name=body.name,
        email=body.email,
        enabled=body.enabled,
        kyc_mode=body.kyc_mode,
    )
    return JSON(
        {
            "message": "Sub-account created successfully",
            "sub_account": accounts_wire.sub_account(creds.account),
            "auth_credentials": {"auth_id": creds.account.auth_id, "auth_token": creds.auth_token},
            # didstore issues no JWTs: the access token is the sub-account's own auth token,
            # accepted as `Authorization: Bearer` (docs/adr/0005-error-envelopes-and-auth.md).
            "tokens": {
                "access_token": creds.auth_token,
                "refresh_token": "",
                "token_type": "Bearer",
                "expires_in": 0,
            },
        },
        status_code=201,
        headers=accounts_wire.plivo_header(creds.account),
    )


@router.get(SUB, summary="List sub-accounts")
async def list_sub_accounts(
    request: Request,
    auth_id: str,
    page: int | None = None,
    size: int | None = None,
    active_only: str | None = None,
) -> Response:
    scope = await _main_scope(request, auth_id)
    paged = paging(page, size, default=20, maximum=100)
    result = await services(request).accounts.list_sub_accounts(
        scope.account, paged.page, paged.per_page
    )
    return JSON(
        {
            "sub_accounts": [accounts_wire.sub_account(s, for_list=True) for s in result.items],
            "total": result.total,
            "page": result.page,
            "size": result.per_page,
        }
    )


@router.get(SUB + "/{sub_auth_id}", summary="Get a sub-account")
async def get_sub_account(request: Request, auth_id: str, sub_auth_id: str) -> Response:
    scope = await _main_scope(request, auth_id)
    sub = await services(request).accounts.get_sub_account(scope.account, sub_auth_id)
    return JSON(accounts_wire.sub_account(sub), headers=accounts_wire.plivo_header(sub))


@router.put(SUB + "/{sub_auth_id}", summary="Update a sub-account")
async def update_sub_account(
    request: Request, auth_id: str, sub_auth_id: str, body: SubAccountBody
) -> Response:
    scope = await _main_scope(request, auth_id)
    updated = await services(request).accounts.update_sub_account(
        scope.actor, scope.account, sub_auth_id, body.model_dump(exclude_unset=True)
    )
    return JSON(accounts_wire.sub_account(updated), headers=accounts_wire.plivo_header(updated))


@router.delete(SUB + "/{sub_auth_id}", summary="Delete a sub-account")
async def delete_sub_account(request: Request, auth_id: str, sub_auth_id: str) -> Response:
    scope = await _main_scope(request, auth_id)
    await services(request).accounts.delete_sub_account(scope.actor, scope.account, sub_auth_id)
    return no_content()
