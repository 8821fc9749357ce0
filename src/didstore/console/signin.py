"""Sign-in and sign-out. One message for every failure (unknown ID, wrong token, disabled
account, wrong operator token), and one throttle per client address that counts every
failure alike, so neither the answer nor its rate tells which part was wrong."""

from __future__ import annotations

import time
from collections import deque

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.session import Session
from didstore.console.web import (
    ConsoleRoute,
    form,
    redirect,
    render,
    sessions,
    svc,
    text,
)
from didstore.domain.ids import hash_token

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

FAILED = "Sign-in failed: check the auth ID and the token, then try again."
#: failed sign-ins allowed per client address in THROTTLE_WINDOW seconds
THROTTLE_FAILURES = 10
THROTTLE_WINDOW = 300.0
_TRACKED_CLIENTS = 10_000


class Throttle:
    """Failed sign-ins per client address in a sliding window (in memory, per process)."""

    def __init__(self, limit: int = THROTTLE_FAILURES, window: float = THROTTLE_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[client]
        return times

    def blocked(self, client: str) -> bool:
        return len(self._recent(client, time.monotonic())) >= self.limit

    def failed(self, client: str) -> None:
        now = time.monotonic()
        if client not in self._failures and len(self._failures) >= _TRACKED_CLIENTS:
            self._failures.pop(next(iter(self._failures)))  # forget the oldest client
        self._recent(client, now)
        self._failures.setdefault(client, deque()).append(now)


def _home(role: str | None) -> str:
    return {"partner": "/console/partner", "operator": "/console/operator"}.get(
        role or "", "/console/home"
    )


@router.get("")
async def root(request: Request) -> Response:
    session = sessions(request).read(request)
    if session is None or not session.signed_in:
        return redirect(request, "/console/login")
    return redirect(request, _home(session.role))


@router.get("/login")
async def login_page(request: Request) -> Response:
    session = sessions(request).read(request)
    if session is not None and session.signed_in:
        return redirect(request, _home(session.role))
    return render(request, "login.html", {"title": "Sign in"})


async def _check(request: Request, auth_id: str, token: str) -> Session | None:
    state = svc(request)
    jar = sessions(request)
    if not token:
        return None
    if not auth_id:
        return jar.new("operator", "operator") if await state.operator.verify(token) else None
    account = await state.accounts.authenticate(auth_id, token)
    if account is None or not account.enabled or account.deleted:
        return None
    role = "partner" if account.kind == "partner" else "customer"
    return jar.new(role, account.auth_id, account.kind, jar.fingerprint(hash_token(token)))


@router.post("/login")
async def login(request: Request) -> Response:
    jar = sessions(request)
    data = await form(request, jar.read(request))
    throttle: Throttle = request.app.state.console_throttle
    client = request.client.host if request.client else ""
    auth_id, token = text(data, "auth_id", 64), text(data, "auth_token", 256)
    if throttle.blocked(client):
        message = "Too many failed sign-ins from this address: wait a few minutes."
        return render(request, "login.html", {"title": "Sign in", "error": message}, 429)
    session = await _check(request, auth_id, token)
    if session is None:
        throttle.failed(client)
        ctx = {"title": "Sign in", "error": FAILED, "auth_id": auth_id}
        return render(request, "login.html", ctx, 401)
    response = redirect(request, _home(session.role))
    jar.write(request, response, session)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    jar = sessions(request)
    await form(request, jar.read(request))
    response = redirect(request, "/console/login", "Signed out.")
    jar.write(request, response, jar.new())
    return response
