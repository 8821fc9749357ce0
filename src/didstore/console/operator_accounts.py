"""Operator account pages: create a main account (its token shown once, on the page, never in
a cookie), one account's balances with a credit confirmed on a review page, its KYC flag, and
a route-lookup box answering what the SIP router would hear."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import (
    ConsoleRoute,
    form,
    money,
    redirect,
    render,
    svc,
    text,
    viewer,
)
from didstore.domain.e164 import from_body
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.money import currency, to_minor

router = APIRouter(prefix="/console/operator", route_class=ConsoleRoute, include_in_schema=False)
OPERATOR = "operator"


@router.post("/accounts")
async def create_account(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    data = await form(request, me.session)
    made = await svc(request).accounts.create_main_account(
        me.actor,
        name=text(data, "name"),
        currency_code=text(data, "currency", 3) or "INR",
        partner_id=text(data, "partner_id", 40) or None,
        email=text(data, "email"),
    )
    ctx = {"title": "Account created", "account": made.account, "token": made.auth_token}
    return render(request, "operator/created.html", ctx, 201, session=me.session)


@router.get("/accounts/{auth_id}")
async def account_page(request: Request, auth_id: str) -> Response:
    me = await viewer(request, OPERATOR)
    state = svc(request)
    account = await state.accounts.get(auth_id[:40])
    q = request.query_params
    ctx: dict[str, Any] = {
        "title": account.auth_id,
        "account": account,
        "wallets": await state.wallet.balances(account) if account.kind != "sub" else [],
        "amount": q.get("amount", "").strip()[:30],
        "currency": (q.get("currency", "").strip()[:3] or account.currency).upper(),
    }
    if ctx["amount"]:
        cur = currency(ctx["currency"])
        minor = to_minor(ctx["amount"], cur)
        if minor <= 0:
            raise InvalidInput("the amount must be more than zero")
        now = next((w.balance_minor for w in ctx["wallets"] if w.currency == cur.code), 0)
        ctx.update(minor=minor, after=now + minor)
    return render(request, "operator/account.html", ctx, session=me.session)


@router.post("/accounts/{auth_id}/credit")
async def credit(request: Request, auth_id: str) -> Response:
    me = await viewer(request, OPERATOR)
    data = await form(request, me.session)
    state = svc(request)
    account = await state.accounts.get(auth_id[:40])
    done = await state.wallet.credit(
        me.actor,
        account,
        amount=text(data, "amount", 30),
        currency_code=text(data, "currency", 3),
        description=text(data, "description") or None,
    )
    message = (
        f"Credited {money(done.entry.amount_minor, done.entry.currency)} to {account.auth_id}; "
        f"balance now {money(done.balance_minor, done.entry.currency)}."
    )
    return redirect(request, f"/console/operator/accounts/{account.auth_id}", message)


@router.post("/accounts/{auth_id}/kyc")
async def kyc(request: Request, auth_id: str) -> Response:
    me = await viewer(request, OPERATOR)
    data = await form(request, me.session)
    state = svc(request)
    account = await state.accounts.get(auth_id[:40])
    verified = data.get("verified") == "true"
    await state.accounts.set_kyc(me.actor, account, aadhaar_verified=verified)
    word = "verified" if verified else "not verified"
    return redirect(request, f"/console/operator/accounts/{account.auth_id}", f"KYC marked {word}.")


@router.get("/route")
async def route_lookup(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    raw = request.query_params.get("e164", "").strip()[:20]
    ctx: dict[str, Any] = {"title": "Route lookup", "e164": raw}
    if raw:
        try:
            ctx["route"] = await svc(request).routing.route(from_body(raw))
        except (InvalidInput, NotFound) as exc:
            ctx["error"] = exc.message
            return render(request, "operator/route.html", ctx, 404, session=me.session)
    return render(request, "operator/route.html", ctx, session=me.session)


@router.post("/route/block")
async def block(request: Request) -> Response:
    """Take the looked-up number out of service, or put it back (``action``: block|unblock);
    the route box then shows the outcome."""
    me = await viewer(request, OPERATOR)
    data = await form(request, me.session)
    e164 = from_body(text(data, "e164", 20))
    blocks = svc(request).blocks
    if text(data, "action") == "unblock":
        await blocks.unblock(me.actor, e164)
        message = f"{e164.value} is back in service; the blocked periods are not charged."
    else:
        await blocks.block(me.actor, e164, text(data, "reason", 500) or None)
        message = f"{e164.value} is blocked: it routes no calls and is not charged."
    return redirect(request, f"/console/operator/route?e164={e164.value}", message)
