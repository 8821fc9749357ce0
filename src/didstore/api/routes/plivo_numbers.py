"""The Plivo-compatible number routes (issue 10; ADR 0018): ``PhoneNumber/`` search and buy,
``Number/`` list, get, update and delete, and ``GET /v1/Account/{auth_id}/``.

Buying is the Vobiz purchase use case (``NumberService.purchase``: one transaction, the same
money, replay and race rules); delete is the Vobiz release with its 24 h cancellable
cool-down (Plivo's unrent is immediate; see the ADR); ``subaccount`` is the Vobiz
sub-account move with its 15-day cool-off.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from didstore.api.deps import services
from didstore.api.responses import JSON, no_content
from didstore.api.routes.plivo_common import (
    PREFIX,
    WRITE,
    errors,
    json_object,
    limit_offset,
    ok,
    optional_text,
    plivo_scope,
    query_docs,
    refuse_unsupported,
    services_param,
)
from didstore.domain.e164 import E164, from_path
from didstore.domain.errors import InvalidInput
from didstore.services.applications import parse_app_id
from didstore.services.plivo import ALIAS_MAX, OwnedFilters, SearchFilters, renewal_bounds
from didstore.wire import plivo as wire

router = APIRouter(prefix=PREFIX, tags=["plivo"])

_TYPES = {
    "local": "local",
    "fixed": "local",
    "mobile": "mobile",
    "tollfree": "tollfree",
    "national": "national",
}


def _number_type(raw: str | None) -> str | None:
    if raw is None or raw == "" or raw.lower() == "any":
        return None
    found = _TYPES.get(raw.lower())
    if found is None:
        raise InvalidInput(
            "type must be local, fixed, mobile, national, tollfree or any", field="type"
        )
    return found


def _digits(raw: str | None, name: str) -> str | None:
    if raw is None or raw == "":
        return None
    value = raw.strip().lstrip("+")
    if not value.replace("*", "").isdigit() or len(value) > 15:
        raise InvalidInput(f"{name} must be digits", field=name)
    return value


def _date(raw: str | None, name: str) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise InvalidInput(f"{name} must be a date such as 2026-03-01", field=name) from None


def _number(raw: str) -> E164:
    return from_path(raw)


#: Plivo filters didstore has no data for: refused (400) rather than silently ignored, so a
#: migrated script never acts on a wider list than it asked for.
_UNSUPPORTED_SEARCH = ("city", "lata", "rate_center", "npanxx", "local_calling_area", "eligible")
_UNSUPPORTED_LIST = (
    "tendlc_registration_status",
    "tendlc_campaign_id",
    "toll_free_sms_verification",
    "toll_free_sms_verification_order_status",
    "cnam_lookup",
)


def _refuse(query: QueryParams, names: tuple[str, ...]) -> None:
    for name in names:
        if query.get(name):
            raise InvalidInput(f"{name} is not supported by didstore", field=name)


@router.get(
    "",
    summary="Plivo: the account (its Plivo-style auth_id)",
    responses={**ok(200, "The account"), **errors()},
)
async def get_account(request: Request, auth_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    a = scope.account
    return JSON(
        wire.detail(
            {
                "account_type": "standard" if a.kind != "sub" else "subaccount",
                "auth_id": a.plivo_auth_id,
                "didstore_auth_id": a.auth_id,
                "name": a.name,
                "billing_mode": "prepaid",
                "enabled": a.enabled,
                "resource_uri": wire.base(a.plivo_auth_id),
            }
        )
    )


_SEARCH = ("country_iso", "type", "pattern", "region", "services", "limit", "offset")


@router.get(
    "/PhoneNumber",
    summary="Plivo: search numbers to buy",
    openapi_extra=query_docs(*_SEARCH),
    responses={**ok(200, "A page of available numbers"), **errors()},
)
async def search(request: Request, auth_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    q = request.query_params
    _refuse(q, _UNSUPPORTED_SEARCH)
    country = (q.get("country_iso") or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput("country_iso is required (ISO 3166 alpha-2)", field="country_iso")
    limit, offset = limit_offset(q)
    filters = SearchFilters(
        country=country,
        number_type=_number_type(q.get("type")),
        pattern=_digits(q.get("pattern"), "pattern"),
        region=(q.get("region") or "").strip()[:100] or None,
        services=services_param(q),
    )
    page = await services(request).plivo.search(filters, limit, offset)
    params = {k: v for k in _SEARCH[:4] if (v := q.get(k))}
    if filters.services:
        params["services"] = ",".join(filters.services)
    return JSON(
        wire.listing(
            [wire.search_number(n, scope.alias) for n in page.items],
            page,
            f"{wire.base(scope.alias)}PhoneNumber/",
            offset,
            params,
        )
    )


@router.post(
    "/PhoneNumber/{number}",
    status_code=201,
    summary="Plivo: buy a number (the Vobiz purchase)",
    responses={**ok(201, "Bought (or already bought by this account)"), **errors(402, 404, *WRITE)},
)
async def buy(request: Request, auth_id: str, number: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    body = await json_object(request)
    refuse_unsupported(body)
    raw_app = optional_text(body, "app_id", 20)
    app_id = parse_app_id(raw_app) if raw_app else None
    e164 = _number(number)
    await services(request).numbers.purchase(
        scope.actor, scope.account, e164, application_id=app_id
    )
    return JSON(wire.bought(e164.digits), 201)


_LIST = (
    "type",
    "number_startswith",
    "subaccount",
    "alias",
    "services",
    "renewal_date",
    "renewal_date__lt",
    "renewal_date__lte",
    "renewal_date__gt",
    "renewal_date__gte",
    "limit",
    "offset",
)


@router.get(
    "/Number",
    summary="Plivo: list the account's numbers",
    openapi_extra=query_docs(*_LIST),
    responses={**ok(200, "A page of owned numbers"), **errors()},
)
async def list_numbers(request: Request, auth_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    q = request.query_params
    _refuse(q, _UNSUPPORTED_LIST)
    limit, offset = limit_offset(q)
    lower, upper = renewal_bounds(*(_date(q.get(n), n) for n in _LIST[5:10]))
    alias = q.get("alias")
    filters = OwnedFilters(
        number_startswith=_digits(q.get("number_startswith"), "number_startswith"),
        subaccount=(q.get("subaccount") or "").strip() or None,
        alias=alias if alias not in (None, "") else None,
        number_type=_number_type(q.get("type")),
        services=services_param(q),
        renewal_from=lower,
        renewal_before=upper,
    )
    page = await services(request).plivo.list_owned(scope.account, filters, limit, offset)
    params = {k: v for k in _LIST[:10] if k != "services" and (v := q.get(k))}
    if filters.services:
        params["services"] = ",".join(filters.services)
    return JSON(
        wire.listing(
            [wire.owned_number(n, scope.alias) for n in page.items],
            page,
            f"{wire.base(scope.alias)}Number/",
            offset,
            params,
        )
    )


@router.get(
    "/Number/{number}",
    summary="Plivo: one owned number",
    responses={**ok(200, "The number"), **errors(404)},
)
async def get_number(request: Request, auth_id: str, number: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    found = await services(request).plivo.get_owned(scope.account, _number(number))
    return JSON(wire.detail(wire.owned_number(found, scope.alias)))


@router.post(
    "/Number/{number}",
    status_code=202,
    summary="Plivo: update a number (app_id, subaccount, alias)",
    responses={**ok(202, "Changed"), **errors(404, *WRITE)},
)
async def update_number(request: Request, auth_id: str, number: str) -> Response:
    """Each change is its own use case, applied in this order: ``subaccount`` (the Vobiz move:
    ``""`` moves the number back to the main account, refused during the 15-day cool-off),
    ``app_id`` (``""`` detaches), ``alias`` (``""`` clears). Every value is checked first."""
    scope = await plivo_scope(request, auth_id)
    body = await json_object(request)
    refuse_unsupported(body)
    sub = optional_text(body, "subaccount", 20)
    raw_app = optional_text(body, "app_id", 20)
    alias = optional_text(body, "alias", ALIAS_MAX)
    svc = services(request)
    e164 = _number(number)
    current = await svc.plivo.get_owned(scope.account, e164)  # 404 before anything changes
    app_id = parse_app_id(raw_app) if raw_app else None
    sub_auth_id = await svc.plivo.sub_auth_id(scope.account, sub) if sub else None
    if sub is not None:
        if sub_auth_id is not None:
            await svc.moves.assign(scope.actor, scope.account, e164, sub_auth_id)
        elif current.owner_kind == "sub":
            await svc.moves.unassign(scope.actor, scope.account, e164, force=False)
    holder = scope.account
    if raw_app is not None:
        if app_id is not None:
            await svc.routing.attach_application(scope.actor, holder, e164, app_id)
        else:
            await svc.routing.detach_application(scope.actor, holder, e164)
    if alias is not None:
        await svc.plivo.set_alias(scope.actor, holder, e164, alias)
    return JSON(wire.changed(), 202)


@router.delete(
    "/Number/{number}",
    status_code=204,
    summary="Plivo: unrent a number (the Vobiz release, cancellable for 24 h)",
    responses={**ok(204, "Released"), **errors(402, 404, *WRITE)},
)
async def delete_number(request: Request, auth_id: str, number: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    svc = services(request)
    e164 = _number(number)
    await svc.plivo.get_owned(scope.account, e164)  # a pending release is already gone: 404
    await svc.numbers.release(scope.actor, scope.account, e164, immediate=False)
    return no_content()
