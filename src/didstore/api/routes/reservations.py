"""Number reservations (issue 13 item 3, ADR 0022): hold available numbers for a while, then
buy, extend or cancel the hold; it expires by itself. Included before the number routes:
``…/numbers/reservations`` must not be read as a number ``…/numbers/{e164}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from didstore.api.auth import account_scope
from didstore.api.deps import services
from didstore.api.params import paging
from didstore.api.responses import JSON
from didstore.domain.errors import InvalidInput
from didstore.wire import reservations as wire

router = APIRouter(prefix="/api/v1/Account/{auth_id}/numbers/reservations", tags=["numbers"])

JsonObject = Annotated[dict[str, Any] | None, Body()]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid input (numbers, ttl_seconds, status, paging)"},
    401: {"description": "Missing or wrong credentials"},
    403: {"description": "Another account, or an account that cannot hold numbers"},
    404: {"description": "No such reservation for this account"},
    409: {
        "description": "numbers_unavailable (nothing held; ``numbers`` lists the refused"
        " ones) or reservation_not_active (``status``: expired, cancelled or purchased)"
    },
}


@router.post("", summary="Hold available numbers", status_code=201, responses=ERRORS)
async def create_reservation(request: Request, auth_id: str, body: JsonObject = None) -> Response:
    """``{numbers: [e164, …], ttl_seconds?}`` (default 900): all of them are held, or none
    (409 ``numbers_unavailable``). No money moves."""
    scope = await account_scope(request, auth_id)
    data = body or {}
    wanted = data.get("numbers")
    if not isinstance(wanted, list):
        raise InvalidInput("numbers must be a list of E.164 numbers", field="numbers")
    r = await services(request).reservations.create(
        scope.actor, scope.account, wanted, data.get("ttl_seconds")
    )
    return JSON(wire.reservation(r), 201)


@router.get("", summary="The account's reservations, newest first", responses=ERRORS)
async def list_reservations(
    request: Request,
    auth_id: str,
    status: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    scope = await account_scope(request, auth_id)
    paged = paging(page, per_page, default=20, maximum=100)
    result = await services(request).reservations.list(
        scope.account, page=paged.page, per_page=paged.per_page, status=status
    )
    return JSON(wire.reservation_page(result.items, result.page, result.per_page, result.total))


@router.get("/{reservation_id}", summary="One reservation", responses=ERRORS)
async def get_reservation(request: Request, auth_id: str, reservation_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    return JSON(
        wire.reservation(await services(request).reservations.get(scope.account, reservation_id))
    )


@router.delete("/{reservation_id}", summary="Cancel a reservation", responses=ERRORS)
async def cancel_reservation(request: Request, auth_id: str, reservation_id: str) -> Response:
    """The held numbers are available to everyone again at once."""
    scope = await account_scope(request, auth_id)
    r = await services(request).reservations.cancel(scope.actor, scope.account, reservation_id)
    return JSON(wire.reservation(r))


@router.post("/{reservation_id}/extend", summary="Hold longer", responses=ERRORS)
async def extend_reservation(
    request: Request, auth_id: str, reservation_id: str, body: JsonObject = None
) -> Response:
    """``{ttl_seconds}``: the hold now ends ``ttl_seconds`` from now."""
    scope = await account_scope(request, auth_id)
    r = await services(request).reservations.extend(
        scope.actor, scope.account, reservation_id, (body or {}).get("ttl_seconds")
    )
    return JSON(wire.reservation(r))


@router.post(
    "/{reservation_id}/purchase",
    summary="Buy every number the reservation holds",
    responses={**ERRORS, 402: {"description": "The wallet cannot pay for all of them"}},
)
async def purchase_reservation(request: Request, auth_id: str, reservation_id: str) -> Response:
    """Each number is bought as ``purchase-from-inventory`` buys it, all in one transaction:
    if the wallet cannot pay for every one, nothing is bought and the hold stays."""
    scope = await account_scope(request, auth_id)
    done = await services(request).reservations.purchase(scope.actor, scope.account, reservation_id)
    return JSON(wire.reservation_purchase(done))
