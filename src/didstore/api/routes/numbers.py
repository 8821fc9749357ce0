"""Vobiz-compatible number routes (spec §4.1-4.5). Paths use the canonical ``Account``
casing; ``didstore.api.app`` folds ``account`` onto it and drops trailing slashes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.api.auth import account_scope
from didstore.api.deps import services
from didstore.api.params import (
    OWNED_LIST_INTS,
    country_param,
    digits_param,
    owned_list_query,
    paging,
    parse_bool,
    path_parameters,
    prefixes,
    query_ints,
    query_parameters,
)
from didstore.api.responses import JSON
from didstore.domain.e164 import from_body, from_path
from didstore.domain.errors import InvalidInput
from didstore.services.inventory import SearchFilters
from didstore.wire import csv as wire_csv
from didstore.wire import numbers as numbers_wire

router = APIRouter(prefix="/api/v1/Account/{auth_id}", tags=["numbers"])


class PurchaseBody(BaseModel):
    """``{"e164": "+919876543210", "currency": "INR"}``; extra keys are ignored (the old
    SDK spreads ``**extra`` into the body)."""

    model_config = ConfigDict(extra="allow")
    e164: Any = None
    currency: Any = None


@router.get("/inventory/numbers", summary="Search available numbers")
async def list_inventory(
    request: Request,
    auth_id: str,
    country: str | None = None,
    search: str | None = None,
    exclude: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads the default
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    await account_scope(request, auth_id)
    paged = paging(page, per_page, default=25, maximum=100)
    filters = SearchFilters(
        country=country_param(country),
        search=digits_param(search, "search"),
        exclude=prefixes(exclude),
    )
    result = await services(request).inventory.search(filters, paged.page, paged.per_page)
    return JSON(
        numbers_wire.page(
            [numbers_wire.inventory_number(n) for n in result.items],
            result.page,
            result.per_page,
            result.total,
        )
    )


@router.post("/numbers/purchase-from-inventory", summary="Buy a number from inventory")
async def purchase(request: Request, auth_id: str, body: PurchaseBody) -> Response:
    scope = await account_scope(request, auth_id)
    if body.e164 is None:
        raise InvalidInput("e164 is required", field="e164")
    result = await services(request).numbers.purchase(
        scope.actor, scope.account, from_body(body.e164), body.currency
    )
    return JSON(
        {
            "message": "Number purchased successfully",
            "number": numbers_wire.owned_number(result.number, source="inventory"),
        }
    )


_LIST_PARAMS = query_parameters(
    ("page", "integer"),
    ("per_page", "integer"),
    ("limit", "integer"),
    ("offset", "integer"),
    ("search", "string"),
    ("include_subaccounts", "string"),
)


@router.get(
    "/numbers",
    summary="List owned numbers",
    openapi_extra={"parameters": _LIST_PARAMS},  # added to the path's own ``auth_id``
)
async def list_numbers(request: Request, auth_id: str) -> Response:
    """Query parameters are read by hand (``params.query_ints``): FastAPI's per-request
    validation of seven parameters cost more CPU than the query (ADR 0009).
    ``Accept: text/csv``: the whole list as CSV, streamed (paging parameters are checked,
    then ignored; ADR 0024)."""
    query = request.query_params
    ints = query_ints(query, *OWNED_LIST_INTS)
    scope = await account_scope(request, auth_id)
    q = owned_list_query(query, ints)
    if csv_answer.wants_csv(request):
        batches = services(request).exports.owned_numbers(
            scope.account, search=q.search, include_subaccounts=q.include_subaccounts
        )
        return await csv_answer.streamed(
            wire_csv.OWNED_NUMBER_COLUMNS,
            csv_answer.mapped(batches, numbers_wire.owned_number),
            f"didstore-numbers-{scope.account.auth_id}.csv",
        )
    result = await services(request).numbers.list_owned(
        scope.account,
        search=q.search,
        include_subaccounts=q.include_subaccounts,
        page=q.page,
        per_page=q.per_page,
    )
    return JSON(numbers_wire.owned_page(result.items, result.page, result.per_page, result.total))


@router.get(
    "/numbers/{e164}",
    summary="Get one owned number",
    openapi_extra={"parameters": path_parameters("auth_id", "e164")},
)
async def get_number(request: Request) -> Response:
    """One number as the list shows it (any form of the number in the path). Not in the
    Vobiz API, which has no detail route; 404 for a number the account does not hold.
    Path parameters are read from the matched route (strings as they are): FastAPI's
    per-request parameter machinery cost more than the rest of the handler (ADR 0013)."""
    auth_id, e164 = request.path_params["auth_id"], request.path_params["e164"]
    scope = await account_scope(request, auth_id)
    return JSON(
        numbers_wire.owned_number(
            await services(request).numbers.get_owned(scope.account, from_path(e164))
        )
    )


@router.delete("/numbers/{e164}", summary="Release (unrent) a number")
async def release(
    request: Request,
    auth_id: str,
    e164: str,
    immediate: str | None = None,
    dry_run: str | None = None,
) -> Response:
    """``dry_run=true`` (didstore only) answers what the release would charge, changing
    nothing."""
    scope = await account_scope(request, auth_id)
    number = from_path(e164)
    now = parse_bool(immediate, "immediate", False)
    numbers = services(request).numbers
    if parse_bool(dry_run, "dry_run", False):
        quote = await numbers.release_quote(scope.account, number, immediate=now)
        return JSON(numbers_wire.release_quote(quote, auth_id))
    result = await numbers.release(scope.actor, scope.account, number, immediate=now)
    return JSON(numbers_wire.release(result, auth_id))


@router.post("/numbers/{e164}/cancel-release", summary="Cancel a pending release")
async def cancel_release(request: Request, auth_id: str, e164: str) -> Response:
    scope = await account_scope(request, auth_id)
    result = await services(request).numbers.cancel_release(
        scope.actor, scope.account, from_path(e164)
    )
    return JSON(numbers_wire.cancel_release(result))
