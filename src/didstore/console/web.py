"""What every console page shares: templates, the signed-in viewer, CSRF checks, rendering,
and one place that turns a domain error into an HTML page (never the API's JSON)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from didstore.api import csv as csv_answer
from didstore.api.deps import services
from didstore.api.errors import error_body
from didstore.bootstrap import Services
from didstore.console.session import Session, Sessions, csrf_ok
from didstore.domain.errors import DomainError, Forbidden, NotFound
from didstore.domain.money import currency
from didstore.services.models import Account, Actor

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
#: the largest page of any console list
PER_PAGE = 25


def money(minor: int | None, code: str) -> str:
    """``12345, "INR"`` -> ``"123.45 INR"`` (the currency's own number of decimals)."""
    if minor is None:
        return "-"
    cur = currency(code)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(int(minor)), cur.factor)
    text = f"{whole:,}" if cur.exponent == 0 else f"{whole:,}.{part:0{cur.exponent}d}"
    return f"{sign}{text} {cur.code}"


TEMPLATES.env.filters["money"] = money
TEMPLATES.env.globals["PER_PAGE"] = PER_PAGE


class SignInRequired(Exception):
    """The page needs a signed-in viewer: answered with a redirect to the sign-in page."""


class BadCsrf(Exception):
    """A form came without this session's CSRF token: answered 403, nothing changed."""


@dataclass(frozen=True, slots=True)
class Viewer:
    session: Session
    actor: Actor
    account: Account | None  # None for the operator

    @property
    def role(self) -> str:
        assert self.session.role is not None
        return self.session.role

    @property
    def customer(self) -> Account:
        assert self.account is not None
        return self.account


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.console_sessions
    return found


def svc(request: Request) -> Services:
    return services(request)


def _actor(request: Request, kind: str, auth_id: str, account: Account | None) -> Actor:
    client = request.client
    return Actor(
        kind=kind,
        auth_id=auth_id,
        credential="console",
        request_id=getattr(request.state, "request_id", ""),
        source_ip=client.host if client else "",
        account=account,
    )


async def viewer(request: Request, *roles: str) -> Viewer:
    """The signed-in viewer, if its role is one of ``roles``. Not signed in (or the account
    was disabled or deleted since): redirect to sign-in. Another role: 404, as if the page
    did not exist (nothing a role may not see is reachable)."""
    session = sessions(request).read(request)
    if session is None or not session.signed_in:
        raise SignInRequired
    if session.role not in roles:
        raise NotFound("page not found")
    if session.role == "operator":
        return Viewer(session, _actor(request, "operator", "operator", None), None)
    found = await svc(request).overview.account_and_token(session.auth_id)
    if found is None:
        raise SignInRequired
    account, token_hash = found
    fingerprint = sessions(request).fingerprint(token_hash)
    if (
        not account.enabled
        or account.deleted
        or not hmac.compare_digest(fingerprint, session.token)
    ):
        raise SignInRequired  # disabled, deleted, or its token was rotated since sign-in
    kind = "partner" if account.kind == "partner" else "account"
    return Viewer(session, _actor(request, kind, account.auth_id, account), account)


#: the largest form field or uploaded file the console reads (an inventory CSV)
MAX_FORM_PART = 5 * 1024 * 1024


async def form(request: Request, session: Session | None) -> FormData:
    """The submitted form, once its CSRF token is checked (``BadCsrf`` otherwise)."""
    data = await request.form(max_files=1, max_fields=50, max_part_size=MAX_FORM_PART)
    if not csrf_ok(session, data.get("csrf")):
        raise BadCsrf
    return data


def text(data: Mapping[str, Any], name: str, limit: int = 200) -> str:
    value = data.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    session: Session | None = None,
) -> Response:
    """A page, with this session's CSRF token and the pending flash message (cleared)."""
    jar = sessions(request)
    current = session or jar.read(request)
    fresh = current is None
    if current is None:
        current = jar.new()
    flash = jar.take_flash(request)
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {"session": current, "csrf": current.csrf, "flash": flash, **(context or {})},
        status_code=status,
    )
    if fresh:
        jar.write(request, response, current)
    if flash is not None:
        response.delete_cookie("didstore_console_flash", path="/console")
    response.headers.update(SECURITY_HEADERS)
    return response


#: Every console page: scripts and styles from this server only (the bar charts' widths are
#: inline styles), never framed, no MIME sniffing, no referrer outside the site, not cached.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def redirect(
    request: Request, to: str, flash: str = "", kind: str = "ok", **query: Any
) -> Response:
    """303 See Other to a console page (after a form), with an optional flash message."""
    target = to + (f"?{urlencode(query)}" if query else "")
    response = RedirectResponse(target, status_code=303)
    if flash:
        sessions(request).flash(request, response, flash, kind)
    return response


def csv_download(rows: list[dict[str, Any]], columns: list[str], filename: str) -> Response:
    """A CSV file the browser saves (the API's writer and columns, so both downloads read
    alike)."""
    return csv_answer.whole(columns, rows, filename)


class ConsoleRoute(APIRoute):
    """A console route: sign-in redirects, CSRF refusals and domain errors become pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return RedirectResponse("/console/login", status_code=303)
            except BadCsrf:
                return render(
                    request,
                    "error.html",
                    {"title": "Form expired", "message": _CSRF_MESSAGE},
                    status=403,
                )
            except DomainError as exc:
                status, _ = error_body(exc)
                if isinstance(exc, NotFound | Forbidden):
                    status, message = 404, "Not found: there is nothing here you may see."
                else:
                    message = exc.message
                    if "cool_off_until" in exc.extra:  # say when it may be tried again
                        message += f"; the cool-off ends at {exc.extra['cool_off_until']}"
                return render(
                    request, "error.html", {"title": "Not done", "message": message}, status
                )

        return run


_CSRF_MESSAGE = (
    "This form was not sent from this console session (it may have expired). "
    "Go back, reload the page and send it again."
)
