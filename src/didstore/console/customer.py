"""Customer pages (main and sub-accounts): home, inventory search and purchase, owned numbers,
one number, release and cancel release. Every change goes through a confirmation page that
shows its cost, then through the same service the API calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.api.params import country_param, digits_param, prefixes
from didstore.console.routing import LISTED, choices
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
from didstore.domain.e164 import E164, from_body, from_path
from didstore.domain.errors import InvalidInput, NotFound
from didstore.services.inventory import CAPABILITIES, SearchFilters
from didstore.services.models import Account, Number

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
CUSTOMER = "customer"


async def _balance(request: Request, account: Account, code: str) -> int:
    try:
        return (await svc(request).wallet.balance(account, code)).balance_minor
    except NotFound:
        return 0


@router.get("/home")
async def home(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    state = svc(request)
    overview = await state.overview.overview(me.customer)
    wallets = await state.wallet.balances(me.customer)
    return render(
        request,
        "customer/home.html",
        {"title": "Home", "account": me.customer, "wallets": wallets, "overview": overview},
        session=me.session,
    )


def _filters(request: Request) -> tuple[SearchFilters, dict[str, str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip()[:60] for k in ("country", "search", "exclude", "type")}
    if raw["type"] and raw["type"] not in CAPABILITIES:
        raise InvalidInput(f"type must be one of {', '.join(CAPABILITIES)}")
    filters = SearchFilters(
        country=country_param(raw["country"]),
        search=digits_param(raw["search"], "search"),
        exclude=prefixes([raw["exclude"]]) if raw["exclude"] else (),
        capability=raw["type"] or None,
    )
    return filters, {k: v for k, v in raw.items() if v}


@router.get("/inventory")
async def inventory(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    page = page_number(request)
    try:
        filters, raw = _filters(request)
    except InvalidInput as exc:
        raw = dict(request.query_params)
        ctx = {"title": "Buy numbers", "raw": raw, "error": exc.message, "types": CAPABILITIES}
        return render(request, "customer/inventory.html", ctx, 400, session=me.session)
    result = await svc(request).inventory.search(filters, page, PER_PAGE)
    found: dict[str, object] = {
        "title": "Buy numbers",
        "raw": raw,
        "result": result,
        "types": CAPABILITIES,
    }
    return render(request, "customer/inventory.html", found, session=me.session)


async def _available(request: Request, e164: E164) -> Number:
    """One number still in stock (else 404)."""
    found = await svc(request).inventory.search(
        SearchFilters(search=e164.value.lstrip("+")), 1, 100
    )
    for number in found.items:
        if number.e164 == e164.value:
            return number
    raise NotFound("that number is no longer available")


@router.get("/inventory/buy")
async def buy_confirm(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    number = await _available(request, from_body(request.query_params.get("e164", "")))
    cost = number.setup_fee_minor + number.monthly_fee_minor
    balance = await _balance(request, me.customer, number.currency)
    ctx = {
        "title": f"Buy {number.e164}",
        "number": number,
        "cost": cost,
        "balance": balance,
        "after": balance - cost,
    }
    return render(request, "customer/buy.html", ctx, session=me.session)


@router.post("/inventory/buy")
async def buy(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    data = await form(request, me.session)
    e164 = from_body(text(data, "e164", 20))
    result = await svc(request).numbers.purchase(me.actor, me.customer, e164)
    n = result.number
    charged = money(result.charged_minor, n.currency)
    message = f"You now own {n.e164}; charged {charged}."
    if result.replayed:
        message = f"You already own {n.e164}; nothing was charged."
    return redirect(request, f"/console/numbers/{n.e164}", message)


@router.get("/numbers")
async def owned(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    page = page_number(request)
    raw = request.query_params.get("search", "").strip()[:20]
    try:
        search = digits_param(raw, "search")
    except InvalidInput as exc:
        ctx = {"title": "My numbers", "search": raw, "error": exc.message}
        return render(request, "customer/numbers.html", ctx, 400, session=me.session)
    result = await svc(request).numbers.list_owned(
        me.customer, search=search, include_subaccounts=True, page=page, per_page=PER_PAGE
    )
    listed: dict[str, object] = {"title": "My numbers", "search": raw, "result": result}
    return render(request, "customer/numbers.html", listed, session=me.session)


@router.get("/numbers/{e164}")
async def number_page(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    number = await svc(request).numbers.get_owned(me.customer, from_path(e164))
    ctx = {
        "title": number.e164,
        "number": number,
        "history": await _history(request, me.customer, number),
        "health": await svc(request).calls.health(
            me.customer, from_path(e164), granularity="daily", days=HEALTH_DAYS
        ),
        **await choices(request, me.customer),
    }
    if me.customer.kind == "main":
        subs = await svc(request).accounts.list_sub_accounts(me.customer, 1, LISTED)
        ctx["subs"] = subs.items
    return render(request, "customer/number.html", ctx, session=me.session)


#: how many days of call statistics a number page charts
HEALTH_DAYS = 14
#: the most recent events a number page shows
HISTORY_SHOWN = 50


async def _history(request: Request, account: Account, number: Number) -> list[dict[str, Any]]:
    """The number's timeline (ownership, routing, money) since the current holding began, as
    this account's side saw it: earlier holders' events are not shown."""
    timeline = await svc(request).audit.timeline(number.e164)
    ours = {account.auth_id, number.owner_auth_id, account.parent_auth_id} - {None}
    since = number.purchased_at
    events = [
        e
        for e in timeline["events"]
        if e.get("account_id") in ours and (since is None or e["at"] >= since)
    ]
    return events[-HISTORY_SHOWN:][::-1]


@router.get("/numbers/{e164}/release")
async def release_confirm(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    quote = await svc(request).numbers.release_quote(me.customer, from_path(e164), immediate=False)
    ctx = {"title": f"Release {quote.number.e164}", "quote": quote}
    return render(request, "customer/release.html", ctx, session=me.session)


@router.post("/numbers/{e164}/release")
async def release(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    await form(request, me.session)
    done = await svc(request).numbers.release(
        me.actor, me.customer, from_path(e164), immediate=False
    )
    ends = done.cooldown_ends_at.strftime("%Y-%m-%d %H:%M UTC")
    message = (
        f"{done.number.e164} will be released at {ends}; charged "
        f"{money(done.fee_minor, done.fee_currency)}. You can cancel until then."
    )
    return redirect(request, f"/console/numbers/{done.number.e164}", message)


@router.get("/numbers/{e164}/cancel-release")
async def cancel_confirm(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    number = await svc(request).numbers.get_owned(me.customer, from_path(e164))
    if number.state != "pending_release":
        raise InvalidInput(f"{number.e164} is not pending release")
    ctx = {"title": f"Keep {number.e164}", "number": number}
    return render(request, "customer/cancel_release.html", ctx, session=me.session)


@router.post("/numbers/{e164}/cancel-release")
async def cancel_release(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    await form(request, me.session)
    done = await svc(request).numbers.cancel_release(me.actor, me.customer, from_path(e164))
    refund = money(done.refund_minor, done.currency)
    message = f"Release of {done.number.e164} cancelled; refunded {refund}."
    return redirect(request, f"/console/numbers/{done.number.e164}", message)
