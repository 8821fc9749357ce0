"""Customer pages for reservations (ADR 0022): hold a number from the search results, see the
holds, buy one (after a review page with the cost), extend it by 15 minutes, or cancel it.
Every change goes through the service the API calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

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
from didstore.domain.e164 import from_body
from didstore.domain.errors import NotFound
from didstore.services.reservations import DEFAULT_TTL

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
CUSTOMER = "customer"
HOME = "/console/reservations"


@router.post("/inventory/hold")
async def hold(request: Request) -> Response:
    """Hold one number from the search results for the default 15 minutes (no money moves)."""
    me = await viewer(request, CUSTOMER)
    data = await form(request, me.session)
    e164 = from_body(text(data, "e164", 20))
    r = await svc(request).reservations.create(me.actor, me.customer, [e164.value])
    until = r.expires_at.strftime("%H:%M UTC")
    return redirect(request, HOME, f"{e164.value} is held for you until {until}.")


@router.get("/reservations")
async def reservations(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    page = page_number(request)
    result = await svc(request).reservations.list(me.customer, page=page, per_page=PER_PAGE)
    ctx = {"title": "Reservations", "result": result}
    return render(request, "customer/reservations.html", ctx, session=me.session)


@router.get("/reservations/{rid}/buy")
async def buy_confirm(request: Request, rid: str) -> Response:
    """The review page: what buying the reservation charges now, and the balance after."""
    me = await viewer(request, CUSTOMER)
    r, held = await svc(request).reservations.quote(me.customer, rid)
    totals: dict[str, int] = {}
    for n in held:
        totals[n.currency] = totals.get(n.currency, 0) + n.setup_fee_minor + n.monthly_fee_minor
    balances: list[dict[str, Any]] = []
    short = False
    for code, cost in sorted(totals.items()):
        try:
            balance = (await svc(request).wallet.balance(me.customer, code)).balance_minor
        except NotFound:
            balance = 0
        short = short or balance < cost
        balances.append(
            {"currency": code, "cost": cost, "balance": balance, "after": balance - cost}
        )
    ctx = {
        "title": "Buy reserved numbers",
        "reservation": r,
        "held": held,
        "totals": balances,
        "short": short,
    }
    return render(request, "customer/reservation_buy.html", ctx, session=me.session)


@router.post("/reservations/{rid}/buy")
async def buy(request: Request, rid: str) -> Response:
    me = await viewer(request, CUSTOMER)
    await form(request, me.session)
    done = await svc(request).reservations.purchase(me.actor, me.customer, rid)
    charged: dict[str, int] = {}
    for p in done.purchases:
        charged[p.number.currency] = charged.get(p.number.currency, 0) + p.charged_minor
    cost = ", ".join(money(m, c) for c, m in sorted(charged.items())) or money(
        0, me.customer.currency
    )
    bought = ", ".join(p.number.e164 for p in done.purchases) or "nothing left to buy"
    return redirect(request, "/console/numbers", f"Bought {bought}; charged {cost}.")


@router.post("/reservations/{rid}/extend")
async def extend(request: Request, rid: str) -> Response:
    """Hold for another 15 minutes from now."""
    me = await viewer(request, CUSTOMER)
    await form(request, me.session)
    ttl = int(DEFAULT_TTL.total_seconds())
    r = await svc(request).reservations.extend(me.actor, me.customer, rid, ttl)
    return redirect(request, HOME, f"Held until {r.expires_at.strftime('%H:%M UTC')}.")


@router.post("/reservations/{rid}/cancel")
async def cancel(request: Request, rid: str) -> Response:
    me = await viewer(request, CUSTOMER)
    await form(request, me.session)
    r = await svc(request).reservations.cancel(me.actor, me.customer, rid)
    numbers = ", ".join(n.e164 for n in r.numbers)
    return redirect(request, HOME, f"Cancelled: {numbers} are available to everyone again.")
