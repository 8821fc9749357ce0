"""Operator (platform admin) API: ``Authorization: Bearer <operator token>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.api.auth import require_operator
from didstore.api.deps import services
from didstore.api.responses import JSON
from didstore.clock import TestClock
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.money import currency, to_units
from didstore.services.exports import INVENTORY_PAGE_MAX, StockFilters
from didstore.services.inventory import ImportReport, read_csv
from didstore.wire import accounts as accounts_wire
from didstore.wire import csv as wire_csv
from didstore.wire import format as format_wire
from didstore.wire import numbers as numbers_wire

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])


class PartnerBody(BaseModel):
    name: Any = None
    currency: Any = None


class AccountBody(BaseModel):
    name: Any = None
    currency: Any = None
    partner_id: Any = None
    release_fee: Any = None
    email: Any = None


class CreditBody(BaseModel):
    amount: Any = None
    currency: Any = None
    description: Any = None


class ClockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: datetime | None = None
    advance_seconds: float | None = None


@router.post("/partners", status_code=201, summary="Create a partner (reseller)")
async def create_partner(request: Request, body: PartnerBody) -> Response:
    principal = await require_operator(request)
    creds = await services(request).accounts.create_partner(
        principal.actor, name=body.name, currency_code=body.currency
    )
    return JSON(accounts_wire.account_credentials(creds.account, creds.auth_token), 201)


@router.post("/accounts", status_code=201, summary="Create a main account")
async def create_account(request: Request, body: AccountBody) -> Response:
    principal = await require_operator(request)
    if body.partner_id is not None and not isinstance(body.partner_id, str):
        raise InvalidInput("partner_id must be a PA_ id", field="partner_id")
    if body.email is not None and not isinstance(body.email, str):
        raise InvalidInput("email must be a string", field="email")
    creds = await services(request).accounts.create_main_account(
        principal.actor,
        name=body.name,
        currency_code=body.currency,
        partner_id=body.partner_id,
        release_fee=body.release_fee,
        email=body.email or "",
    )
    return JSON(accounts_wire.account_credentials(creds.account, creds.auth_token), 201)


@router.post("/accounts/{auth_id}/credit", status_code=201, summary="Credit a wallet")
async def credit_account(request: Request, auth_id: str, body: CreditBody) -> Response:
    principal = await require_operator(request)
    state = services(request)
    try:
        account = await state.accounts.get(auth_id)
    except NotFound:
        raise NotFound(f"account {auth_id} not found") from None
    if body.amount is None:
        raise InvalidInput("amount is required", field="amount")
    if body.currency is None:
        raise InvalidInput("currency is required", field="currency")
    result = await state.wallet.credit(
        principal.actor,
        account,
        amount=body.amount,
        currency_code=body.currency,
        description=body.description,
    )
    return JSON(
        {
            "transaction": accounts_wire.transaction(result.entry),
            "balance": to_units(result.balance_minor, currency(result.entry.currency)),
            "currency": result.entry.currency,
        },
        201,
    )


class KycBody(BaseModel):
    aadhaar_verified: Any = None


@router.post("/accounts/{auth_id}/kyc", summary="Record an account's Aadhaar KYC outcome")
async def set_kyc(request: Request, auth_id: str, body: KycBody) -> Response:
    principal = await require_operator(request)
    state = services(request)
    account = await state.accounts.set_kyc(
        principal.actor, await state.accounts.get(auth_id), aadhaar_verified=body.aadhaar_verified
    )
    return JSON({"auth_id": account.auth_id, "aadhaar_verified": account.aadhaar_verified})


def _report(report: ImportReport) -> dict[str, Any]:
    return {
        "created": report.created,
        "skipped": report.skipped,
        "errors": [{"row": e.row, "e164": e.e164, "error": e.error} for e in report.errors],
    }


@router.post("/inventory", summary="Stock numbers (JSON or CSV)")
async def import_inventory(request: Request) -> Response:
    """JSON ``{"numbers": [...]}``, a ``text/csv`` body, or a multipart upload (field ``file``)."""
    principal = await require_operator(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    rows: list[Any]
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("multipart upload needs a file field named 'file'")
        rows = read_csv(await upload.read())
    elif content_type in ("text/csv", "application/csv"):
        rows = read_csv(await request.body())
    else:
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"body is not valid JSON: {exc}") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("numbers"), list):
            raise InvalidInput('expected {"numbers": [...]} or a CSV upload')
        rows = payload["numbers"]
    state = services(request)
    report = await state.inventory.import_rows(principal.actor, rows)
    return JSON(_report(report))


@router.get("/inventory", summary="Every number in the platform, in E.164 order")
async def list_inventory(
    request: Request,
    state: str | None = None,
    country: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> Response:
    """The operator's view of the whole stock, any state (``state`` and ``country``
    filter). Paged by key: ``limit`` (default 100, at most 1000) numbers after the E.164
    ``after``; ``next_after`` is the value for the next page, ``null`` after the last.
    ``Accept: text/csv``: every matching number as CSV, streamed (``after``/``limit``
    ignored; ADR 0024)."""
    await require_operator(request)
    if limit is not None and not 1 <= limit <= INVENTORY_PAGE_MAX:
        raise InvalidInput(f"limit must be 1 to {INVENTORY_PAGE_MAX}", field="limit")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput("country must be an ISO 3166 alpha-2 code", field="country")
    filters = StockFilters(state=state or None, country=country or None)
    exports = services(request).exports
    if csv_answer.wants_csv(request):
        return await csv_answer.streamed(
            wire_csv.INVENTORY_COLUMNS,
            csv_answer.mapped(exports.inventory(filters), numbers_wire.stock_number),
            "didstore-inventory.csv",
        )
    size = limit or 100
    items = await exports.inventory_page(filters, after or "", size)
    return JSON(
        {
            "objects": [numbers_wire.stock_number(n) for n in items],
            "next_after": items[-1].e164 if len(items) == size else None,
        }
    )


#: Mounted only with ``--test-clock``: without it the route does not exist (404).
clock_router = APIRouter(prefix="/api/v1/admin", tags=["operator"])


@clock_router.post("/clock", summary="Move the test clock forward")
async def move_clock(request: Request, body: ClockBody) -> Response:
    await require_operator(request)
    state = services(request)
    clock = state.clock
    assert isinstance(clock, TestClock)
    if (body.now is None) == (body.advance_seconds is None):
        raise InvalidInput("give exactly one of now or advance_seconds")
    try:
        if body.advance_seconds is not None:
            now = clock.advance(body.advance_seconds)
        else:
            assert body.now is not None
            if body.now.tzinfo is None:
                raise InvalidInput("now needs a time zone, e.g. 2026-12-01T00:00:00Z")
            now = clock.set(body.now)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    report = await state.jobs.run("all")  # apply what came due
    return JSON(
        {
            "now": format_wire.ts(now),
            "lifecycle": {
                "released": report.released,
                "returned_to_inventory": report.returned_to_inventory,
            },
            "jobs": report.as_dict(),
        }
    )
